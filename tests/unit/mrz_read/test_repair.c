/* Repair (ICAO 9303 check digits and field classes) on recognised text with
 * made-up scores: only substitutions the field's class allows, only when the
 * check digits then pass, the cheapest first. */
#include "common.h"
#include "dxtest.h"
#include "icao/ocr.h"

static dx_ocr_cell cells[3][44];

/* Scores: the recognised character 0.90, every other 0.30; `alt` (if any)
 * scores `alt_score` at (l, i). */
static void set_text(char L[3][45], const char *const *lines, size_t n)
{
    memset(L, 0, 3 * 45);
    for (size_t l = 0; l < n; l++) {
        strcpy(L[l], lines[l]);
        for (size_t i = 0; i < strlen(lines[l]); i++) {
            for (int k = 0; k < DX_OCR_NCLASS; k++)
                cells[l][i].score[k] = 0.30f;
            cells[l][i].best = dx_ocr_class_of(lines[l][i]);
            cells[l][i].score[cells[l][i].best] = 0.90f;
        }
    }
}

static void set_score(int l, int i, char c, float s)
{
    cells[l][i].score[dx_ocr_class_of(c)] = s;
}

static void repair(int fmt, size_t n, size_t len, char L[3][45])
{
    dx_ocr_cell *const p[3] = {cells[0], cells[1], cells[2]};
    dx_ocr_repair(fmt, n, len, L, p);
}

int main(void)
{
    static const char *const td3[2] = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
    char L[3][45];

    /* clean: nothing changes */
    set_text(L, td3, 2);
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[0], td3[0]);
    CHECK_STR(L[1], td3[1]);

    /* a digit misread as a letter in the document number (alphanumeric): the
     * check digit decides, the confusable 0 is nearly as good */
    const char *bad1[2] = {td3[0], "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10"};
    set_text(L, bad1, 2);
    set_score(1, 5, '0', 0.88f);
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[1], td3[1]);

    /* letters in dates and check digits become digits (class), O -> 0, B -> 8 */
    const char *bad2[2] = {td3[0], "L898902C36UTO74O8122F12O4159ZE184226B<<<<<1O"};
    set_text(L, bad2, 2);
    set_score(1, 15, '0', 0.80f);
    set_score(1, 23, '0', 0.80f);
    set_score(1, 43, '0', 0.80f);
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[1], td3[1]);

    /* digits in names and codes become letters: 0 -> O, 5 -> S, 1 -> I */
    const char *bad3[2] = {"P<UT0ERIK55ON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<", td3[1]};
    set_text(L, bad3, 2);
    set_score(0, 4, 'O', 0.85f);
    set_score(0, 9, 'S', 0.85f);
    set_score(0, 10, 'S', 0.85f);
    set_score(0, 23, 'I', 0.85f);
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[0], td3[0]);

    /* a wrong character with no plausible substitute: left as read (the
     * check keeps failing and parse reports it) */
    const char *bad4[2] = {td3[0], "L898X02C36UTO7408122F1204159ZE184226B<<<<<10"};
    set_text(L, bad4, 2);
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[1], bad4[1]);

    /* a confusable that would not make the check pass is not taken */
    const char *bad5[2] = {td3[0], "L898902C36UTO7408122F1204159ZE1B4226B<<<<<10"};
    set_text(L, bad5, 2);
    set_score(1, 31, '8', 0.85f); /* the truth: optional data ZE184226B */
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[1], td3[1]);
    const char *bad6[2] = {td3[0], "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
    set_text(L, bad6, 2);
    set_score(1, 36, '8', 0.89f); /* B vs 8 close, but B is right: checks pass as is */
    repair(DX_MRZ_TD3, 2, 44, L);
    CHECK_STR(L[1], td3[1]);

    /* two confusions in one field (TD1 document number), lowest cost first
     * (D23I45B90 would not do: its check digit is 7 as well, and the
     * classifier alone decides there) */
    static const char *const td1[3] = {"I<UTOD231458907<<<<<<<<<<<<<<<",
                                       "7408122F1204159UTO<<<<<<<<<<<6",
                                       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"};
    const char *bad7[3] = {"I<UTOD23I4S8907<<<<<<<<<<<<<<<", td1[1], td1[2]};
    set_text(L, bad7, 3);
    set_score(0, 8, '1', 0.86f);
    set_score(0, 10, '5', 0.86f);
    repair(DX_MRZ_TD1, 3, 30, L);
    CHECK_STR(L[0], td1[0]);
    CHECK_STR(L[1], td1[1]);
    CHECK_STR(L[2], td1[2]);

    /* the sex field holds M, F, X or < only */
    const char *bad8[3] = {td1[0], "7408122E1204159UTO<<<<<<<<<<<6", td1[2]};
    set_text(L, bad8, 3);
    set_score(1, 7, 'F', 0.80f);
    repair(DX_MRZ_TD1, 3, 30, L);
    CHECK_STR(L[1], td1[1]);

    /* TD2: the composite covers the optional data, which has no check of its own */
    static const char *const td2[2] = {"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                                       "D231458907UTO7408122F1204159<<<<<<<6"};
    set_text(L, td2, 2);
    repair(DX_MRZ_TD2, 2, 36, L);
    CHECK_STR(L[1], td2[1]);
    CHECK(dx_ocr_format_of(2, 36, L) == DX_MRZ_TD2);
    CHECK(dx_ocr_format_of(3, 30, L) == DX_MRZ_TD1);
    char V[3][45] = {"V<UTO", "", ""};
    CHECK(dx_ocr_format_of(2, 44, V) == DX_MRZ_MRVA);
    CHECK(dx_ocr_format_of(2, 36, V) == DX_MRZ_MRVB);
    return dxtest_done();
}
