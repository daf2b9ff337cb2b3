/* MRZ parsing and validation against ICAO 9303's own examples. */
#include <jansson.h>
#include <string.h>

#include "docex/mrz.h"
#include "dxtest.h"
#include "icao/mrz_codes.h"

static const dx_mrz_options at_2026 = {.today = 20261126};

static dx_mrz parse2(const char *a, const char *b, dx_status want)
{
    const char *l[] = {a, b};
    dx_mrz m;
    dx_error err = {0};
    dx_status st = dx_mrz_parse(l, 2, &at_2026, &m, &err);
    CHECK_MSG(st == want, "%s / %s: status %d (%s)", a, b, st, err.message);
    return m;
}

static dx_mrz parse3(const char *a, const char *b, const char *c)
{
    const char *l[] = {a, b, c};
    dx_mrz m;
    dx_error err = {0};
    CHECK_MSG(dx_mrz_parse(l, 3, &at_2026, &m, &err) == DX_OK, "%s", err.message);
    return m;
}

static const dx_mrz_check *find_check(const dx_mrz *m, const char *name)
{
    for (size_t i = 0; i < m->n_checks; i++)
        if (strcmp(m->checks[i].name, name) == 0)
            return &m->checks[i];
    return NULL;
}

static size_t failed(const dx_mrz *m, char *names, size_t size)
{
    size_t n = 0;
    names[0] = '\0';
    for (size_t i = 0; i < m->n_checks; i++)
        if (!m->checks[i].ok) {
            if (n++)
                strncat(names, ",", size - strlen(names) - 1);
            strncat(names, m->checks[i].name, size - strlen(names) - 1);
        }
    return n;
}

static bool has_warning(const dx_mrz *m, const char *part)
{
    for (size_t i = 0; i < m->n_warnings; i++)
        if (strstr(m->warnings[i], part))
            return true;
    return false;
}

static void date_is(const dx_mrz_date *d, const char *iso)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", d->year, d->month, d->day);
    CHECK_STR(buf, iso);
}

/* Every specimen in the vectors file parses to its fields. */
static void specimens(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr), *arr, *ex;
    REQUIRE(root != NULL);
    arr = json_object_get(root, "specimens");
    REQUIRE(json_array_size(arr) == 3);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *sp = json_array_get(arr, i), *lines = json_object_get(sp, "lines"),
               *fields = json_object_get(sp, "fields");
        const char *l[3];
        size_t n = json_array_size(lines);
        dx_mrz m;
        dx_error err = {0};
        const char *key;
        json_t *val;
        char names[256];
        for (size_t k = 0; k < n && k < 3; k++)
            l[k] = json_string_value(json_array_get(lines, k));
        REQUIRE(dx_mrz_parse(l, n, &at_2026, &m, &err) == DX_OK);
        CHECK_STR(dx_mrz_format_name(m.format), json_string_value(json_object_get(sp, "format")));
        CHECK_MSG(m.valid && failed(&m, names, sizeof names) == 0, "%s: failed %s",
                  dx_mrz_format_name(m.format), names);
        json_object_foreach(fields, key, val) {
            const char *want = json_string_value(val), *got = NULL;
            char date[16], sex[2] = {m.sex, 0};
            if (!strcmp(key, "document_code")) got = m.document_code;
            else if (!strcmp(key, "issuing_state")) got = m.issuing_state;
            else if (!strcmp(key, "surname")) got = m.surname;
            else if (!strcmp(key, "given_names")) got = m.given_names;
            else if (!strcmp(key, "document_number")) got = m.document_number;
            else if (!strcmp(key, "nationality")) got = m.nationality;
            else if (!strcmp(key, "optional_data")) got = m.optional_data;
            else if (!strcmp(key, "sex")) got = sex;
            else if (!strcmp(key, "birth_date") || !strcmp(key, "expiry_date")) {
                const dx_mrz_date *d = key[0] == 'b' ? &m.birth_date : &m.expiry_date;
                snprintf(date, sizeof date, "%04d-%02d-%02d", d->year, d->month, d->day);
                got = date;
            }
            CHECK_MSG(got && strcmp(got, want) == 0, "%s %s: \"%s\" != \"%s\"",
                      dx_mrz_format_name(m.format), key, got ? got : "(none)", want);
        }
        CHECK(has_warning(&m, "specimen"));
        CHECK(has_warning(&m, "expired on 2012-04-15"));
    }
    /* check digit examples of 9303 Part 3 */
    ex = json_object_get(root, "check_digit_examples");
    for (size_t i = 0; i < json_array_size(ex); i++) {
        const char *in = json_string_value(json_object_get(json_array_get(ex, i), "input"));
        int want = (int)json_integer_value(json_object_get(json_array_get(ex, i), "check_digit"));
        CHECK(dx_mrz_check_digit(in, strlen(in)) == want);
    }
    json_decref(root);
}

int main(int argc, char **argv)
{
    dx_mrz m;
    char names[256];
    dx_error err = {0};
    REQUIRE(argc == 2);
    specimens(argv[1]);

    CHECK(dx_mrz_check_digit("<<<<<<", 6) == 0);
    CHECK(dx_mrz_check_digit("L898902C3", 9) == 6);
    CHECK(dx_mrz_check_digit("l898902C3", 9) == -1);

    /* MRV-A and MRV-B (9303 Part 7): no composite; XXX nationality */
    m = parse2("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L8988901C4XXX4009078F96121096ZE184226B<<<<<<", DX_OK);
    CHECK(m.format == DX_MRZ_MRVA && m.valid);
    CHECK(find_check(&m, "composite_check") == NULL);
    CHECK_STR(m.optional_data, "6ZE184226B");
    date_is(&m.birth_date, "1940-09-07");
    date_is(&m.expiry_date, "1996-12-10");
    CHECK_STR(m.nationality, "XXX");
    m = parse2("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<",
               DX_OK);
    CHECK(m.format == DX_MRZ_MRVB && m.valid);

    /* TD1 with a document number longer than nine characters (9303 Part 5) */
    m = parse3("I<UTOD23145890<7349<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
               "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
    CHECK_MSG(m.valid, "long TD1 number: %zu failed", failed(&m, names, sizeof names));
    CHECK_STR(m.document_number, "D23145890734");
    CHECK_STR(m.optional_data, "");
    /* ... and with a wrong check digit for the long number */
    m = parse3("I<UTOD23145890<7348<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
               "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
    failed(&m, names, sizeof names);
    CHECK_STR(names, "document_number_check,composite_check");
    CHECK_STR(find_check(&m, "document_number_check")->expected, "9");
    CHECK_STR(find_check(&m, "document_number_check")->found, "8");

    /* one wrong character: exactly the checks over it fail, with expected/found */
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122F1204159ZE184226B<<<<<11", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_STR(names, "composite_check");
    CHECK_STR(find_check(&m, "composite_check")->expected, "0");
    CHECK_STR(find_check(&m, "composite_check")->found, "1");
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408132F1204159ZE184226B<<<<<10", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_STR(names, "birth_date_check,composite_check");
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7413122F1204159ZE184226B<<<<<10", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_MSG(strstr(names, "birth_date,") == names, "month 13: %s", names);
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122Q1204159ZE184226B<<<<<10", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_STR(names, "sex");
    m = parse2("P<QQQERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122F1204159ZE184226B<<<<<10", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_STR(names, "issuing_state");
    CHECK(has_warning(&m, "QQQ is not a code"));
    m = parse2("X<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122F1204159ZE184226B<<<<<10", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_STR(names, "document_code");
    m = parse2("P<UTOERIKSS0N<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122F1204159ZE184226B<<<<<10", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_STR(names, "name");

    /* Germany is D<< ; an empty optional data has '<' as its check digit */
    m = parse2("P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
               "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4", DX_OK);
    failed(&m, names, sizeof names);
    CHECK_MSG(m.valid, "D<<: %s", names);
    CHECK_STR(m.issuing_state, "D");
    CHECK_STR(dx_mrz_code_name("D"), "Germany");

    /* dates: unknown day / month in birth dates; centuries */
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO74<<<<1F1204159ZE184226B<<<<<18", DX_OK);
    CHECK(find_check(&m, "birth_date")->ok);
    CHECK(m.birth_date.year == 1974 && m.birth_date.month == 0);
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO2501017F3001019ZE184226B<<<<<18", DX_OK);
    CHECK(m.birth_date.year == 2025);   /* in the past */
    CHECK(m.expiry_date.year == 2030);  /* ahead */
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO2701013F3001019ZE184226B<<<<<18", DX_OK);
    CHECK(m.birth_date.year == 1927);   /* 2027 would be in the future */
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122F1202306ZE184226B<<<<<14", DX_OK);
    CHECK(!find_check(&m, "expiry_date")->ok); /* 30 February */

    /* names: truncation, single identifier */
    m = parse2("P<UTOVANDERSTEENHOVEN<<JOHANNAMARIAALEXANDRA",
               "L898902C36UTO7408122F1204159ZE184226B<<<<<10", DX_OK);
    CHECK(m.name_truncated && has_warning(&m, "truncated"));
    CHECK_STR(m.surname, "VANDERSTEENHOVEN");
    CHECK_STR(m.given_names, "JOHANNAMARIAALEXANDRA");
    m = parse2("P<UTOERIKSSON<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
               "L898902C36UTO7408122F1204159ZE184226B<<<<<10", DX_OK);
    CHECK_STR(m.surname, "ERIKSSON");
    CHECK_STR(m.given_names, "");

    /* specimen markers */
    m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "0000000000UTO7408122F1204159ZE184226B<<<<<12", DX_OK);
    CHECK(has_warning(&m, "all zeros"));

    /* not an MRZ: what is wrong and where */
    {
        const char *one[] = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"};
        const char *bad_char[] = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                  "L898902C36UTO7408122F1204159ZE184226b<<<<<10"};
        const char *bad_len[] = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                 "L898902C36UTO7408122F1204159ZE184226B<<<<<1"};
        const char *blank[] = {"", "  ", "\t"};
        const char *spaced[] = {"", "  P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<  ", "",
                                "L898902C36UTO7408122F1204159ZE184226B<<<<<10\r"};
        const char *td1_as_2[] = {"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6"};
        CHECK(dx_mrz_parse(one, 1, &at_2026, &m, &err) == DX_ERR_DATA);
        CHECK(strstr(err.message, "1 line") != NULL);
        CHECK(dx_mrz_parse(bad_char, 2, &at_2026, &m, &err) == DX_ERR_DATA);
        CHECK_MSG(strstr(err.message, "line 2, column 37: 'b'") != NULL, "%s", err.message);
        CHECK(dx_mrz_parse(bad_len, 2, &at_2026, &m, &err) == DX_ERR_DATA);
        CHECK(strstr(err.message, "line 2 has 43 characters, line 1 has 44") != NULL);
        CHECK(dx_mrz_parse(blank, 3, &at_2026, &m, &err) == DX_ERR_DATA);
        CHECK(dx_mrz_parse(spaced, 4, &at_2026, &m, &err) == DX_OK && m.valid);
        CHECK(dx_mrz_parse(td1_as_2, 2, &at_2026, &m, &err) == DX_ERR_DATA);
        CHECK(strstr(err.message, "2 lines of 30") != NULL);
    }

    /* the code table is sorted (bsearch relies on it) and holds 9303's additions */
    for (size_t i = 1; i < dx_mrz_codes_count; i++)
        CHECK_MSG(strcmp(dx_mrz_codes[i - 1].code, dx_mrz_codes[i].code) < 0, "%s >= %s",
                  dx_mrz_codes[i - 1].code, dx_mrz_codes[i].code);
    {
        static const char *const extra[] = {"D",   "EUE", "GBD", "GBN", "GBO", "GBP", "GBS",
                                            "UNA", "UNK", "UNO", "XOM", "XXA", "XXB", "XXC",
                                            "XXX", "UTO", "XPO"};
        for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
            CHECK_MSG(dx_mrz_code_name(extra[i]) != NULL, "%s missing", extra[i]);
        CHECK(dx_mrz_code_name("DEU") == NULL); /* 9303 writes Germany as D */
        CHECK(dx_mrz_code_name("FRA") != NULL);
    }

    /* JSON: well-formed, dates as YYYY-MM-DD or null */
    {
        json_error_t jerr;
        char *text;
        json_t *j, *f;
        m = parse2("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                   "L898902C36UTO74<<<<1F1204159ZE184226B<<<<<18", DX_OK);
        text = dx_mrz_to_json(&m);
        REQUIRE(text != NULL);
        j = json_loads(text, 0, &jerr);
        REQUIRE(j != NULL);
        f = json_object_get(j, "fields");
        CHECK(json_is_null(json_object_get(f, "birth_date")));
        CHECK_STR(json_string_value(json_object_get(f, "birth_date_raw")), "74<<<<");
        CHECK_STR(json_string_value(json_object_get(f, "expiry_date")), "2012-04-15");
        CHECK_STR(json_string_value(json_object_get(j, "format")), "TD3");
        CHECK(json_array_size(json_object_get(j, "checks")) == m.n_checks);
        json_decref(j);
        free(text);
    }
    return dxtest_done();
}
