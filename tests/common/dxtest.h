/* Minimal test helpers for docex's C tests: CHECK() records a failure and goes
 * on, REQUIRE() stops the test.  dxtest_done() prints "N passed, N failed" and
 * returns the exit status. */
#ifndef DOCEX_DXTEST_H
#define DOCEX_DXTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dxtest_passed_, dxtest_failed_;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) {                                                                      \
            dxtest_passed_++;                                                            \
        } else {                                                                         \
            dxtest_failed_++;                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                                \
    } while (0)

#define CHECK_MSG(cond, ...)                                                             \
    do {                                                                                 \
        if (cond) {                                                                      \
            dxtest_passed_++;                                                            \
        } else {                                                                         \
            dxtest_failed_++;                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);   \
            exit(1);                                                                     \
        }                                                                                \
        dxtest_passed_++;                                                                \
    } while (0)

#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        CHECK_MSG(a_ && b_ && strcmp(a_, b_) == 0, "\"%s\" != \"%s\"", a_ ? a_ : "(null)", \
                  b_ ? b_ : "(null)");                                                   \
    } while (0)

static inline int dxtest_done(void)
{
    printf("%d passed, %d failed\n", dxtest_passed_, dxtest_failed_);
    return dxtest_failed_ ? 1 : 0;
}

#endif
