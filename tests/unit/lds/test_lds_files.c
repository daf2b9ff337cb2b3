/* LDS parsers, part 1: the file table, EF.COM (9303 Part 11 Appendix D
 * known answer), DG1 (TD3 known answer, synthetic TD1/TD2/TD3 chips),
 * DG11 and DG12 (synthetic chip and a file with every field).
 *   test-lds_files TRUST_DIR KNOWN_ANSWERS.json */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxtest.h"
#include "icao/lds.h"
#include "lds_test.h"

static const char *trust;

/* ---- the file table ----------------------------------------------------------- */

static void test_table(void)
{
    const dx_lds_file_info *f;
    size_t n = dx_lds_file_count();

    CHECK(n == 19);
    for (int dg = 1; dg <= 16; dg++) {
        f = dx_lds_file_by_dg(dg);
        REQUIRE(f);
        CHECK(f->dg == dg);
        CHECK(f->fid == 0x0100 + dg);
        CHECK(f->sfi == dg);
        CHECK(dx_lds_dg_of_tag(f->tag) == dg);
        CHECK(dx_lds_file_by_tag(f->tag) == f);
        CHECK(dx_lds_file_by_fid(f->fid) == f);
        CHECK(dx_lds_file_by_name(f->name) == f);
        CHECK(f->content && f->content[0]);
    }
    /* 9303 Part 10 tags */
    static const uint32_t tags[17] = {0,    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
                                      0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70};
    for (int dg = 1; dg <= 16; dg++)
        CHECK_MSG(dx_lds_file_by_dg(dg)->tag == tags[dg], "DG%d", dg);
    f = dx_lds_file_by_name("EF.COM");
    CHECK(f && f->tag == 0x60 && f->fid == 0x011E && f->sfi == 0x1E && f->dg == 0);
    f = dx_lds_file_by_tag(0x77);
    CHECK(f && strcmp(f->name, "EF.SOD") == 0 && f->fid == 0x011D && f->sfi == 0x1D);
    f = dx_lds_file_by_fid(0x011C);
    CHECK(f && strcmp(f->name, "EF.CardAccess") == 0 && f->outside_application && f->tag == 0);
    CHECK(dx_lds_file_by_name("dg11") == dx_lds_file_by_dg(11));
    CHECK(dx_lds_file_by_name("ef.dg2") == dx_lds_file_by_dg(2));
    CHECK(dx_lds_file_by_name("DG17") == NULL);
    CHECK(dx_lds_file_by_dg(0) == NULL && dx_lds_file_by_dg(17) == NULL);
    CHECK(dx_lds_file_by_tag(0) == NULL && dx_lds_file_by_tag(0x71) == NULL);
    CHECK(dx_lds_dg_of_tag(0x60) == 0 && dx_lds_dg_of_tag(0x77) == 0);
    CHECK(dx_lds_file_at(0) == dx_lds_file_by_name("EF.COM"));
    CHECK(dx_lds_file_at(n) == NULL);
    /* unique tags and FIDs */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            CHECK(dx_lds_file_at(i)->fid != dx_lds_file_at(j)->fid);
            CHECK(dx_lds_file_at(i)->tag == 0 || dx_lds_file_at(i)->tag != dx_lds_file_at(j)->tag);
        }
}

/* ---- known answers (tests/data/icao/lds/lds-known-answers.json) ------------------ */

static void test_known_answers(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *com, *dg1;
    uint8_t buf[512];
    size_t n;
    dx_lds_com c;
    dx_lds_dg1 d;
    dx_error err = {0};
    dx_mrz_options mo = {.today = 20100101};

    REQUIRE(root);
    com = json_object_get(root, "ef_com");
    REQUIRE(com);
    n = lt_unhex(json_string_value(json_object_get(com, "bytes")), buf, sizeof buf);
    {
        uint8_t *exact = lt_dup(buf, n);
        REQUIRE(dx_lds_parse_com(exact, n, &c, &err) == DX_OK);
        free(exact);
    }
    CHECK_STR(c.lds_version, json_string_value(json_object_get(com, "lds_version")));
    CHECK(c.lds_major == 1 && c.lds_minor == 6);
    CHECK_STR(c.unicode_version, json_string_value(json_object_get(com, "unicode_version")));
    CHECK(c.unicode_major == 4 && c.unicode_minor == 0 && c.unicode_release == 0);
    CHECK(c.n_dgs == 2 && c.dgs[0] == 1 && c.dgs[1] == 2);
    CHECK(dx_lds_com_has(&c, 1) && dx_lds_com_has(&c, 2) && !dx_lds_com_has(&c, 3));
    CHECK(c.dg_mask == ((1u << 1) | (1u << 2)));
    CHECK(c.notes.n == 0);

    dg1 = json_object_get(root, "dg1_td3");
    REQUIRE(dg1);
    n = lt_unhex(json_string_value(json_object_get(dg1, "bytes")), buf, sizeof buf);
    {
        uint8_t *exact = lt_dup(buf, n);
        REQUIRE(dx_lds_parse_dg1(exact, n, &mo, &d, &err) == DX_OK);
        free(exact);
    }
    CHECK(d.len == 88);
    CHECK(d.mrz.format == DX_MRZ_TD3 && d.mrz.n_lines == 2);
    CHECK_STR(d.mrz.lines[0], json_string_value(json_array_get(json_object_get(dg1, "mrz"), 0)));
    CHECK_STR(d.mrz.lines[1], json_string_value(json_array_get(json_object_get(dg1, "mrz"), 1)));
    CHECK_STR(d.mrz.surname, "ERIKSSON");
    CHECK_STR(d.mrz.given_names, "ANNA MARIA");
    CHECK_STR(d.mrz.document_number, "L898902C3");
    CHECK(d.mrz.valid);
    json_decref(root);
}

/* ---- synthetic chips --------------------------------------------------------------- */

static void test_synthetic_chip(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512];
    uint8_t *buf;
    size_t n;
    dx_error err = {0};
    dx_mrz_options mo = {.today = 20250101};

    fix_holder(&h);
    fix_options(&o, &h, trust);
    REQUIRE(lt_mkchip(&o, dir, sizeof dir));

    /* EF.COM: what the chip serves */
    dx_lds_com c;
    buf = lt_slurp(dir, "EF.COM", &n);
    REQUIRE(buf);
    CHECK_MSG(dx_lds_parse_com(buf, n, &c, &err) == DX_OK, "%s", err.message);
    CHECK_STR(c.lds_version, "0107");
    CHECK(c.lds_major == 1 && c.lds_minor == 7);
    CHECK_STR(c.unicode_version, "040000");
    static const int want[] = {1, 2, 11, 12, 14, 15};
    CHECK(c.n_dgs == 6);
    for (size_t i = 0; i < 6 && i < c.n_dgs; i++)
        CHECK(c.dgs[i] == want[i]);
    free(buf);

    /* DG1: the MRZ put in */
    dx_lds_dg1 d1;
    buf = lt_slurp(dir, "EF.DG1", &n);
    REQUIRE(buf);
    CHECK_MSG(dx_lds_parse_dg1(buf, n, &mo, &d1, &err) == DX_OK, "%s", err.message);
    CHECK(d1.len == 88);
    CHECK_STR(d1.text, FIX_MRZ1 FIX_MRZ2);
    CHECK(d1.mrz.n_lines == 2);
    CHECK_STR(d1.mrz.lines[0], FIX_MRZ1);
    CHECK_STR(d1.mrz.lines[1], FIX_MRZ2);
    CHECK(d1.mrz.format == DX_MRZ_TD3);
    CHECK(d1.mrz.valid);
    CHECK_STR(d1.mrz.surname, "ERIKSSON");
    CHECK_STR(d1.mrz.given_names, "ANNA MARIA");
    CHECK_STR(d1.mrz.issuing_state, "UTO");
    CHECK(d1.mrz.birth_date.year == 1974 && d1.mrz.birth_date.month == 8 &&
          d1.mrz.birth_date.day == 12);
    CHECK(d1.mrz.expiry_date.year == 2034);
    CHECK(d1.mrz.sex == 'F');
    free(buf);

    /* DG11: name, place and date of birth */
    dx_lds_dg11 d11;
    buf = lt_slurp(dir, "EF.DG11", &n);
    REQUIRE(buf);
    CHECK_MSG(dx_lds_parse_dg11(buf, n, &d11, &err) == DX_OK, "%s", err.message);
    CHECK_STR(d11.full_name.raw, "ERIKSSON<<ANNA<MARIA");
    CHECK_STR(d11.full_name.primary, "ERIKSSON");
    CHECK_STR(d11.full_name.secondary, "ANNA MARIA");
    CHECK_STR(d11.place_of_birth, "ZENITH");
    CHECK_STR(d11.birth_date, "19740812");
    CHECK(d11.n_tag_list == 3 && d11.tag_list[0] == 0x5F0E && d11.tag_list[1] == 0x5F11 &&
          d11.tag_list[2] == 0x5F2B);
    CHECK(d11.personal_number == NULL && d11.address == NULL && d11.n_other_names == 0);
    CHECK(d11.proof_of_citizenship.data == NULL);
    CHECK_MSG(d11.notes.n == 0, "%s", d11.notes.text[0]);
    dx_lds_dg11_free(&d11);
    dx_lds_dg11_free(&d11); /* twice is harmless */
    free(buf);

    /* DG12: authority and date of issue */
    dx_lds_dg12 d12;
    buf = lt_slurp(dir, "EF.DG12", &n);
    REQUIRE(buf);
    CHECK_MSG(dx_lds_parse_dg12(buf, n, &d12, &err) == DX_OK, "%s", err.message);
    CHECK_STR(d12.issuing_authority, "UTOPIA PASSPORT OFFICE");
    CHECK_STR(d12.issue_date, "20240416");
    CHECK(d12.n_tag_list == 2 && d12.tag_list[0] == 0x5F19 && d12.tag_list[1] == 0x5F26);
    CHECK(d12.personalisation_time[0] == '\0' && d12.endorsements == NULL);
    CHECK_MSG(d12.notes.n == 0, "%s", d12.notes.text[0]);
    dx_lds_dg12_free(&d12);
    free(buf);
    lt_rmdir(dir);
}

/* A TD1 identity card's chip: DG1 holds 90 characters, 3 lines of 30. */
static void test_td1_chip(void)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    char dir[512], lines[DX_MRZ_MAX_LINES][45];
    size_t nl = 0, n;
    uint8_t *buf;
    dx_error err = {0};
    dx_lds_dg1 d1;
    dx_mrz_options mo = {.today = 20250101};

    fix_holder(&h);
    snprintf(h.document_code, sizeof h.document_code, "ID");
    REQUIRE(dx_synth_mrz_compose(&h, DX_MRZ_TD1, lines, &nl, &err) == DX_OK);
    REQUIRE(nl == 3);
    fix_options(&o, &h, trust);
    for (size_t i = 0; i < 3; i++)
        memcpy(o.dg1_mrz[i], lines[i], sizeof lines[i]);
    o.dg1_mrz_lines = 3;
    o.aa = DX_SYNTH_AA_NONE;
    o.chip_auth = false;
    REQUIRE(lt_mkchip(&o, dir, sizeof dir));
    buf = lt_slurp(dir, "EF.DG1", &n);
    REQUIRE(buf);
    CHECK_MSG(dx_lds_parse_dg1(buf, n, &mo, &d1, &err) == DX_OK, "%s", err.message);
    CHECK(d1.len == 90 && d1.mrz.format == DX_MRZ_TD1 && d1.mrz.n_lines == 3);
    for (size_t i = 0; i < 3; i++)
        CHECK_STR(d1.mrz.lines[i], lines[i]);
    CHECK(d1.mrz.valid);
    CHECK_STR(d1.mrz.surname, "ERIKSSON");
    CHECK_STR(d1.mrz.document_code, "ID");
    free(buf);

    dx_lds_com c;
    buf = lt_slurp(dir, "EF.COM", &n);
    REQUIRE(buf);
    CHECK(dx_lds_parse_com(buf, n, &c, &err) == DX_OK);
    CHECK(c.n_dgs == 4 && !dx_lds_com_has(&c, 14) && !dx_lds_com_has(&c, 15));
    free(buf);
    lt_rmdir(dir);
}

/* TD2 (9303 Part 6 specimen), built with the synth DG1 builder. */
static void test_td2(void)
{
    const char lines[2][45] = {"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                               "D231458907UTO7408122F1204159<<<<<<<6"};
    dx_synth_der d;
    dx_error err = {0};
    dx_lds_dg1 d1;
    size_t n;
    uint8_t *buf;
    dx_mrz_options mo = {.today = 20100101};

    dx_synth_der_init(&d);
    REQUIRE(dx_synth_chip_build_dg1(lines, 2, &d, &err) == DX_OK);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    CHECK_MSG(dx_lds_parse_dg1(buf, n, &mo, &d1, &err) == DX_OK, "%s", err.message);
    CHECK(d1.len == 72 && d1.mrz.format == DX_MRZ_TD2 && d1.mrz.n_lines == 2);
    CHECK_STR(d1.mrz.lines[0], lines[0]);
    CHECK_STR(d1.mrz.lines[1], lines[1]);
    CHECK_STR(d1.mrz.document_number, "D23145890");
    CHECK(d1.mrz.valid);
    free(buf);
}

/* ---- DG11 / DG12 with every field ----------------------------------------------------- */

/* "ÅSA" and "ÖSTRA" as UTF-8 */
#define ASA "\xC3\x85SA"
#define OSTRA "\xC3\x96STRA"

static uint8_t *full_dg11(size_t *n, bool bcd_date, bool full_tag_list)
{
    dx_synth_der d;
    static const uint8_t tags[] = {0x5F, 0x0E, 0x5F, 0x0F, 0x5F, 0x10, 0x5F, 0x2B, 0x5F, 0x11,
                                   0x5F, 0x42, 0x5F, 0x12, 0x5F, 0x13, 0x5F, 0x14, 0x5F, 0x15,
                                   0x5F, 0x16, 0x5F, 0x17, 0x5F, 0x18};
    static const uint8_t bcd[] = {0x19, 0x74, 0x08, 0x12};
    static const uint8_t photo[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10};
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6B);
    dx_synth_der_tlv(&d, 0x5C, tags, full_tag_list ? sizeof tags : sizeof tags - 2);
    dx_synth_der_tlv_str(&d, 0x5F0E, "ERIKSSON<<ANNA<MARIA");
    dx_synth_der_begin(&d, 0xA0);
    dx_synth_der_uint(&d, 2);
    dx_synth_der_tlv_str(&d, 0x5F0F, "ERIKSSON<<" ASA);
    dx_synth_der_tlv_str(&d, 0x5F0F, "SVENSSON<<ANNA<<<");
    dx_synth_der_end(&d);
    dx_synth_der_tlv_str(&d, 0x5F10, "123456789");
    if (bcd_date)
        dx_synth_der_tlv(&d, 0x5F2B, bcd, sizeof bcd);
    else
        dx_synth_der_tlv_str(&d, 0x5F2B, "19740812");
    dx_synth_der_tlv_str(&d, 0x5F11, "ZENITH<UTOPIA");
    dx_synth_der_tlv_str(&d, 0x5F42, "1<" OSTRA "<STREET<ZENITH");
    dx_synth_der_tlv_str(&d, 0x5F12, "+99 555 0100");
    dx_synth_der_tlv_str(&d, 0x5F13, "EXAMINER");
    dx_synth_der_tlv_str(&d, 0x5F14, "DR");
    dx_synth_der_tlv_str(&d, 0x5F15, "SPECIMEN HOLDER");
    dx_synth_der_tlv(&d, 0x5F16, photo, sizeof photo);
    dx_synth_der_tlv_str(&d, 0x5F17, "X1234567<Y7654321");
    dx_synth_der_tlv_str(&d, 0x5F18, "NONE");
    dx_synth_der_end(&d);
    return lt_take(&d, n);
}

static void test_dg11_full(void)
{
    size_t n;
    uint8_t *buf = full_dg11(&n, false, true);
    dx_lds_dg11 d;
    dx_error err = {0};

    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg11(buf, n, &d, &err) == DX_OK);
    CHECK(d.n_tag_list == 13);
    CHECK_STR(d.full_name.primary, "ERIKSSON");
    CHECK_STR(d.full_name.secondary, "ANNA MARIA");
    REQUIRE(d.n_other_names == 2);
    CHECK_STR(d.other_names[0].raw, "ERIKSSON<<" ASA);
    CHECK_STR(d.other_names[0].secondary, ASA);
    CHECK_STR(d.other_names[1].primary, "SVENSSON");
    CHECK_STR(d.other_names[1].secondary, "ANNA");
    CHECK_STR(d.personal_number, "123456789");
    CHECK_STR(d.birth_date, "19740812");
    CHECK_STR(d.place_of_birth, "ZENITH<UTOPIA");
    CHECK_STR(d.address, "1<" OSTRA "<STREET<ZENITH");
    CHECK_STR(d.telephone, "+99 555 0100");
    CHECK_STR(d.profession, "EXAMINER");
    CHECK_STR(d.title, "DR");
    CHECK_STR(d.personal_summary, "SPECIMEN HOLDER");
    CHECK(d.proof_of_citizenship.len == 6 && d.proof_of_citizenship.data &&
          d.proof_of_citizenship.data == buf + d.proof_of_citizenship.offset &&
          d.proof_of_citizenship.data[0] == 0xFF);
    CHECK(dx_lds_image_sniff(d.proof_of_citizenship.data, d.proof_of_citizenship.len) ==
          DX_LDS_IMAGE_JPEG);
    CHECK_STR(d.other_td_numbers, "X1234567<Y7654321");
    CHECK_STR(d.custody, "NONE");
    CHECK_MSG(d.notes.n == 0, "%s", d.notes.text[0]);
    dx_lds_dg11_free(&d);
    free(buf);

    /* the date as BCD; the tag list without 5F18: a note, not an error */
    buf = full_dg11(&n, true, false);
    REQUIRE(dx_lds_parse_dg11(buf, n, &d, &err) == DX_OK);
    CHECK_STR(d.birth_date, "19740812");
    CHECK(d.notes.n == 1 && strstr(d.notes.text[0], "5F18") &&
          strstr(d.notes.text[0], "not in the tag list"));
    dx_lds_dg11_free(&d);
    free(buf);
}

static void test_dg12_full(void)
{
    dx_synth_der d;
    static const uint8_t tags[] = {0x5F, 0x19, 0x5F, 0x26, 0xA0, 0x5F, 0x1B, 0x5F, 0x1C,
                                   0x5F, 0x1D, 0x5F, 0x1E, 0x5F, 0x55, 0x5F, 0x56,
                                   0x5F, 0x0E /* not a field of DG12 */};
    static const uint8_t front[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50,
                                    0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
    static const uint8_t rear[] = {0xFF, 0x4F, 0xFF, 0x51};
    static const uint8_t when[] = {0x20, 0x24, 0x04, 0x16, 0x09, 0x30, 0x00};
    dx_lds_dg12 r;
    dx_error err = {0};
    size_t n;
    uint8_t *buf;

    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x6C);
    dx_synth_der_tlv(&d, 0x5C, tags, sizeof tags);
    dx_synth_der_tlv_str(&d, 0x5F19, "UTOPIA PASSPORT OFFICE");
    dx_synth_der_tlv_str(&d, 0x5F26, "20240416");
    dx_synth_der_begin(&d, 0xA0);
    dx_synth_der_uint(&d, 1);
    dx_synth_der_tlv_str(&d, 0x5F1A, "ERIKSSON<<NILS");
    dx_synth_der_end(&d);
    dx_synth_der_tlv_str(&d, 0x5F1B, "NO ENDORSEMENTS");
    dx_synth_der_tlv_str(&d, 0x5F1C, "NONE");
    dx_synth_der_tlv(&d, 0x5F1D, front, sizeof front);
    dx_synth_der_tlv(&d, 0x5F1E, rear, sizeof rear);
    dx_synth_der_tlv(&d, 0x5F55, when, sizeof when);
    dx_synth_der_tlv_str(&d, 0x5F56, "UTO-PERSO-0042");
    dx_synth_der_end(&d);
    buf = lt_take(&d, &n);
    REQUIRE(buf);
    REQUIRE(dx_lds_parse_dg12(buf, n, &r, &err) == DX_OK);
    CHECK_STR(r.issuing_authority, "UTOPIA PASSPORT OFFICE");
    CHECK_STR(r.issue_date, "20240416");
    REQUIRE(r.n_other_persons == 1);
    CHECK_STR(r.other_persons[0].raw, "ERIKSSON<<NILS");
    CHECK_STR(r.other_persons[0].primary, "ERIKSSON");
    CHECK_STR(r.other_persons[0].secondary, "NILS");
    CHECK_STR(r.endorsements, "NO ENDORSEMENTS");
    CHECK_STR(r.tax_exit, "NONE");
    CHECK(r.image_front.len == sizeof front &&
          dx_lds_image_sniff(r.image_front.data, r.image_front.len) == DX_LDS_IMAGE_JP2);
    CHECK(r.image_rear.len == sizeof rear &&
          dx_lds_image_sniff(r.image_rear.data, r.image_rear.len) == DX_LDS_IMAGE_J2K);
    CHECK_STR(r.personalisation_time, "20240416093000");
    CHECK_STR(r.personalisation_device, "UTO-PERSO-0042");
    CHECK(r.notes.n == 1 && strstr(r.notes.text[0], "5F0E"));
    dx_lds_dg12_free(&r);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRUST_DIR KNOWN_ANSWERS.json\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    test_table();
    test_known_answers(argv[2]);
    test_synthetic_chip();
    test_td1_chip();
    test_td2();
    test_dg11_full();
    test_dg12_full();
    return dxtest_done();
}
