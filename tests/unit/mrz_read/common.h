/* Helpers of the mrz_read tests: render an MRZ with tests/tools/mrz_synth
 * and read it back with dx_mrz_read_image(). */
#ifndef DOCEX_TEST_MRZ_READ_COMMON_H
#define DOCEX_TEST_MRZ_READ_COMMON_H

#include <stdbool.h>

#include "docex/mrz_read.h"
#include "mrz_synth.h"

/* Load the font; exits 77 (skip) when it is not installed. */
void mrt_init(void);

/* An MRZ to render: the Utopia specimen of `format` (1 TD1, 2 TD2, 3 TD3)
 * when seed is 0, else a random valid one from the seed. */
typedef struct mrt_case {
    int format;
    uint64_t seed;
    mrzs_params p;
} mrt_case;

/* Render, read (dpi hint 0), compare.  Returns true when every line reads
 * exactly; prints what differs.  *st gets the status, r the result. */
bool mrt_read(const mrt_case *c, dx_mrz_read_result *r, dx_status *st, const char *label);

/* Angle difference in degrees, folded into [0, 180]. */
double mrt_angle_diff(double a, double b);

#endif
