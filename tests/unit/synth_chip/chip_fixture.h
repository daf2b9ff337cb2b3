/* The synthetic chip tests' fixture: the Utopia specimen holder (ERIKSSON ANNA
 * MARIA, valid until 2034), its TD3 MRZ and a drawn portrait (no real person). */
#ifndef DOCEX_TEST_CHIP_FIXTURE_H
#define DOCEX_TEST_CHIP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "synth/chip_build.h"

#define FIX_MRZ1 "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
#define FIX_MRZ2 "L898902C36UTO7408122F3404159ZE184226B<<<<<16"
#define FIX_PORTRAIT_W 240
#define FIX_PORTRAIT_H 320

void fix_holder(dx_synth_holder *h);
/* RGB8, FIX_PORTRAIT_W x FIX_PORTRAIT_H, tightly packed (static storage) */
const uint8_t *fix_portrait(void);
/* Options for the fixture: RSA AA, Chip Authentication, PACE, JPEG, seed 0. */
void fix_options(dx_synth_chip_options *o, const dx_synth_holder *h, const char *trust_dir);

#endif
