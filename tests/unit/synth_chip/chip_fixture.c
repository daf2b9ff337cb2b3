/* The synthetic chip tests' fixture (see chip_fixture.h). */
#include "chip_fixture.h"

#include <stdio.h>
#include <string.h>

void fix_holder(dx_synth_holder *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->document_code, sizeof h->document_code, "P");
    snprintf(h->issuing_state, sizeof h->issuing_state, "UTO");
    snprintf(h->surname, sizeof h->surname, "ERIKSSON");
    snprintf(h->given_names, sizeof h->given_names, "ANNA MARIA");
    snprintf(h->document_number, sizeof h->document_number, "L898902C3");
    snprintf(h->nationality, sizeof h->nationality, "UTO");
    snprintf(h->birth_date, sizeof h->birth_date, "19740812");
    h->sex = 'F';
    snprintf(h->expiry_date, sizeof h->expiry_date, "20340415");
    snprintf(h->issue_date, sizeof h->issue_date, "20240416");
    snprintf(h->place_of_birth, sizeof h->place_of_birth, "ZENITH");
    snprintf(h->authority, sizeof h->authority, "UTOPIA PASSPORT OFFICE");
    snprintf(h->optional_data, sizeof h->optional_data, "ZE184226B");
    snprintf(h->can, sizeof h->can, "123456");
}

/* A grey-blue background with a drawn head and shoulders. */
const uint8_t *fix_portrait(void)
{
    static uint8_t px[FIX_PORTRAIT_W * FIX_PORTRAIT_H * 3];
    static int done;
    if (done)
        return px;
    for (int y = 0; y < FIX_PORTRAIT_H; y++)
        for (int x = 0; x < FIX_PORTRAIT_W; x++) {
            uint8_t *p = px + ((size_t)y * FIX_PORTRAIT_W + (size_t)x) * 3;
            int r = 170 + y / 8, g = 185 + y / 10, b = 205;
            double hx = (x - 120) / 62.0, hy = (y - 130) / 82.0;
            double sx = (x - 120) / 115.0, sy = (y - 330) / 90.0;
            if (hx * hx + hy * hy < 1.0) {
                r = 224 - (x + y) % 7;
                g = 182;
                b = 150;
                if ((y == 118 || y == 119) && (x % 60 > 20 && x % 60 < 36))
                    r = g = b = 40; /* eyes */
            } else if (sx * sx + sy * sy < 1.0) {
                r = 50;
                g = 60;
                b = 90; /* shoulders */
            }
            p[0] = (uint8_t)(r > 255 ? 255 : r);
            p[1] = (uint8_t)(g > 255 ? 255 : g);
            p[2] = (uint8_t)b;
        }
    done = 1;
    return px;
}

void fix_options(dx_synth_chip_options *o, const dx_synth_holder *h, const char *trust_dir)
{
    dx_synth_chip_options_default(o);
    o->holder = h;
    snprintf(o->dg1_mrz[0], sizeof o->dg1_mrz[0], "%s", FIX_MRZ1);
    snprintf(o->dg1_mrz[1], sizeof o->dg1_mrz[1], "%s", FIX_MRZ2);
    o->dg1_mrz_lines = 2;
    o->portrait_rgb = fix_portrait();
    o->portrait_width = FIX_PORTRAIT_W;
    o->portrait_height = FIX_PORTRAIT_H;
    o->aa = DX_SYNTH_AA_RSA;
    o->chip_auth = true;
    o->pace = true;
    o->trust_dir = trust_dir;
}
