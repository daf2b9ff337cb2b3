# Turns share/icao/codes.json into a C table (run at build time):
#   cmake -DIN=codes.json -DOUT=mrz_codes_table.c -P gen_codes.cmake
file(READ ${IN} json)
string(JSON n LENGTH "${json}" codes)
math(EXPR last "${n} - 1")
set(rows "")
foreach(i RANGE ${last})
  string(JSON code GET "${json}" codes ${i} code)
  string(JSON name GET "${json}" codes ${i} name)
  string(JSON kind GET "${json}" codes ${i} kind)
  if(NOT code MATCHES "^[A-Z]([A-Z<][A-Z<])?$")
    message(FATAL_ERROR "${IN}: code \"${code}\" is not an MRZ code")
  endif()
  string(REPLACE "\\" "\\\\" name "${name}")
  string(REPLACE "\"" "\\\"" name "${name}")
  string(APPEND rows "    {\"${code}\", \"${name}\", \"${kind}\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"/* Generated from share/icao/codes.json by core/src/icao/gen_codes.cmake. */\n"
"#include \"icao/mrz_codes.h\"\n\n"
"const dx_mrz_code_row dx_mrz_codes[] = {\n${rows}};\n"
"const size_t dx_mrz_codes_count = sizeof dx_mrz_codes / sizeof dx_mrz_codes[0];\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
