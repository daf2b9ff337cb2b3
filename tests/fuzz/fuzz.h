/* docex fuzz targets: the libFuzzer entry points every target defines.
 *
 * A target is one file with LLVMFuzzerTestOneInput() and, optionally,
 * LLVMFuzzerInitialize().  It is linked twice: with clang's libFuzzer
 * (DOCEX_FUZZ=ON, tests/bin/fuzz-<name>) and, always, with replay.c
 * (tests/bin/fuzz-replay-<name>), which runs it over the committed corpus
 * under ctest.  See README.md. */
#ifndef DOCEX_FUZZ_H
#define DOCEX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, called once before the first input (libFuzzer and replay.c). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A target calls this when the code under test broke a promise (a status it
 * must not return, a format it must not give): prints and aborts, so that both
 * libFuzzer and the replay driver report the input. */
#define FUZZ_ASSERT(cond, ...)                                                   \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed: ", __FILE__, __LINE__, \
                    #cond);                                                      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

#endif
