# The recogniser's compiled-in templates (core/src/icao/ocr_glyphs.c) must be
# what `mrz-render --emit-templates` makes from the installed OCR-B font.
execute_process(COMMAND ${RENDER} --emit-templates OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mrz-render --emit-templates failed (${rc})")
endif()
file(READ ${OUT} got)
file(READ ${EXPECTED} want)
if(NOT got STREQUAL want)
  message(FATAL_ERROR "${EXPECTED} is stale: regenerate with\n"
          "  mrz-render --emit-templates > core/src/icao/ocr_glyphs.c")
endif()
message(STATUS "templates current")
