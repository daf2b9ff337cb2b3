/* The specimen loader: both committed specimens read back field by field
 * (regions resolved to the layout's rects, notation, sides), every broken
 * copy of broken.json refused with its message, files that are not a
 * manifest, listings with broken specimens, reference images, and the
 * vocabulary of docex/specimen.h against specimen.schema.json.
 *
 * usage: test-specimen SOURCE_DIR SCRATCH_DIR */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "docex/specimen.h"
#include "dxtest.h"

static const char *src, *scratch;
static char spec_dir[4096];

static void mkdirs(const char *path)
{
    char tmp[4096];
    REQUIRE(snprintf(tmp, sizeof tmp, "%s", path) < (int)sizeof tmp);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

static void write_file(const char *path, const void *data, size_t n)
{
    unlink(path); /* a leftover of an earlier run may be anything */
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(data, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

static json_t *committed(const char *id)
{
    char path[4200];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s/specimen.json", spec_dir, id);
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fprintf(stderr, "%s: %s\n", path, je.text);
    REQUIRE(j);
    return j;
}

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static bool rect_is(const dx_specimen_rect *r, json_t *a)
{
    return json_array_size(a) == 4 && near(r->x, json_number_value(json_array_get(a, 0))) &&
           near(r->y, json_number_value(json_array_get(a, 1))) &&
           near(r->w, json_number_value(json_array_get(a, 2))) &&
           near(r->h, json_number_value(json_array_get(a, 3)));
}

/* Every feature and element of `id` against its raw JSON. */
static void check_against_json(const dx_specimen *s, const char *id)
{
    json_t *j = committed(id), *layout = json_object_get(j, "layout"),
           *features = json_object_get(j, "features");
    const dx_specimen_info *in = dx_specimen_info_get(s);
    CHECK_STR(in->id, id);
    CHECK_STR(in->name, json_string_value(json_object_get(j, "name")));
    CHECK(dx_specimen_element_count(s) == json_array_size(layout));
    CHECK(dx_specimen_feature_count(s) == json_array_size(features));
    for (size_t i = 0; i < json_array_size(layout); i++) {
        json_t *e = json_array_get(layout, i);
        const dx_specimen_element *el = dx_specimen_element_at(s, i);
        REQUIRE(el);
        CHECK_STR(el->id, json_string_value(json_object_get(e, "id")));
        CHECK_STR(el->type, json_string_value(json_object_get(e, "type")));
        CHECK_STR(el->side_name, json_string_value(json_object_get(e, "side")));
        CHECK_STR(in->sides[el->side], el->side_name);
        CHECK_MSG(rect_is(&el->rect, json_object_get(e, "rect")), "%s rect", el->id);
        CHECK(dx_specimen_element_find(s, el->id) == el);
    }
    for (size_t i = 0; i < json_array_size(features); i++) {
        json_t *f = json_array_get(features, i), *n = json_object_get(f, "notation"),
               *r = json_object_get(f, "region"), *il = json_object_get(f, "illumination"),
               *side = json_object_get(f, "side"), *x = json_object_get(f, "expected");
        const dx_specimen_feature *sf = dx_specimen_feature_at(s, i);
        REQUIRE(sf);
        CHECK_STR(sf->id, json_string_value(json_object_get(f, "id")));
        CHECK(dx_specimen_feature_find(s, sf->id) == sf);
        CHECK_STR(sf->light, json_string_value(json_object_get(n, "light")));
        CHECK_STR(sf->property, json_string_value(json_object_get(n, "property")));
        CHECK_STR(sf->feature, json_string_value(json_object_get(n, "feature")));
        CHECK_STR(sf->side_name, side ? json_string_value(side) : in->sides[0]);
        CHECK_STR(dx_specimen_mode_name(sf->mode), json_string_value(json_object_get(f, "mode")));
        CHECK_STR(sf->description, json_string_value(json_object_get(f, "description")));
        if (json_is_string(il)) {
            CHECK(sf->n_illuminations == 1);
            CHECK_STR(sf->illuminations[0], json_string_value(il));
        } else {
            CHECK(sf->n_illuminations == json_array_size(il));
            for (size_t k = 0; k < sf->n_illuminations && k < json_array_size(il); k++)
                CHECK_STR(sf->illuminations[k], json_string_value(json_array_get(il, k)));
        }
        for (size_t k = 0; k < sf->n_illuminations; k++)
            CHECK_STR(dx_specimen_light_of(sf->illuminations[k]), sf->light);
        if (json_is_string(r)) {
            /* the region resolves to the element's rect, on the feature's side */
            const dx_specimen_element *el = dx_specimen_element_find(s, json_string_value(r));
            REQUIRE(el);
            CHECK_STR(sf->region_element, el->id);
            CHECK_MSG(memcmp(&sf->region, &el->rect, sizeof el->rect) == 0, "%s region", sf->id);
            CHECK(el->side == sf->side);
        } else {
            CHECK(sf->region_element == NULL);
            CHECK_MSG(rect_is(&sf->region, r), "%s region", sf->id);
        }
        CHECK_STR(sf->expected.measure, json_string_value(json_object_get(x, "measure")));
        CHECK(sf->expected.has_min == (json_object_get(x, "min") != NULL));
        CHECK(sf->expected.has_max == (json_object_get(x, "max") != NULL));
        if (sf->expected.has_min)
            CHECK(near(sf->expected.min, json_number_value(json_object_get(x, "min"))));
        if (sf->expected.has_max)
            CHECK(near(sf->expected.max, json_number_value(json_object_get(x, "max"))));
        CHECK(sf->expected.has_hue == (json_object_get(x, "hue_deg") != NULL));
        CHECK((sf->expected.of != NULL) == (json_object_get(x, "of") != NULL));
    }
    CHECK(dx_specimen_element_at(s, dx_specimen_element_count(s)) == NULL);
    CHECK(dx_specimen_feature_at(s, dx_specimen_feature_count(s)) == NULL);
    CHECK(dx_specimen_feature_find(s, "no_such_feature") == NULL);
    json_decref(j);
}

static void test_committed(void)
{
    dx_specimen *s = NULL;
    dx_error err = {0};

    /* the passport page */
    CHECK_MSG(dx_specimen_open(spec_dir, "UTO-P-2024", &s, &err) == DX_OK, "%s", err.message);
    REQUIRE(s);
    const dx_specimen_info *in = dx_specimen_info_get(s);
    CHECK_STR(in->format, DX_SPECIMEN_FORMAT);
    CHECK_STR(in->document_type, "passport");
    CHECK_STR(in->icao_format, "TD3");
    CHECK_STR(in->document_code, "P");
    CHECK_STR(in->issuing_state, "UTO");
    CHECK_STR(in->series, "2024");
    CHECK(in->page_width_mm == 125 && in->page_height_mm == 88);
    CHECK_STR(in->valid_from, "2024-01-01");
    CHECK(in->valid_until == NULL);
    CHECK(in->n_sides == 1);
    CHECK_STR(in->sides[0], "data_page");
    CHECK(in->n_illuminations == 8);
    CHECK_STR(in->illuminations[0], "white");
    CHECK_STR(in->illuminations[7], "coaxial");
    CHECK(in->reference_dpi == 300);
    CHECK(in->n_holder == 14);
    CHECK_STR(in->holder[2].key, "surname");
    CHECK_STR(in->holder[2].value, "ERIKSSON");
    CHECK(in->has_chip);
    CHECK_STR(in->chip_aa, "rsa");
    CHECK(in->chip_auth);
    CHECK(in->n_pace == 3 && in->pace[0] == 13 && in->pace[1] == 12 && in->pace[2] == 15);
    CHECK(dx_specimen_feature_count(s) == 13);
    CHECK(dx_specimen_element_count(s) == 16);
    const dx_specimen_feature *f = dx_specimen_feature_find(s, "mrz_ir_absorbent");
    REQUIRE(f);
    CHECK_STR(f->light, "IR");
    CHECK_STR(f->property, "absorbent");
    CHECK_STR(f->feature, "MRZ");
    CHECK(f->n_illuminations == 1);
    CHECK_STR(f->illuminations[0], "ir870");
    CHECK_STR(f->region_element, "mrz");
    CHECK(f->region.x == 5 && f->region.y == 73 && f->region.w == 115 && f->region.h == 13);
    CHECK(f->mode == DX_SPECIMEN_MANDATORY);
    CHECK_STR(f->expected.measure, "ir_absorption");
    CHECK(f->expected.has_min && f->expected.min == 0.5 && !f->expected.has_max);
    f = dx_specimen_feature_find(s, "ovd_variable");
    REQUIRE(f);
    CHECK(f->n_illuminations == 3);
    CHECK_STR(f->illuminations[1], "oblique");
    CHECK_STR(f->illuminations[2], "coaxial");
    f = dx_specimen_feature_find(s, "uv_emblem");
    REQUIRE(f);
    CHECK(f->expected.has_hue && f->expected.hue_min_deg == 90 && f->expected.hue_max_deg == 170);
    f = dx_specimen_feature_find(s, "photo_ghost");
    REQUIRE(f);
    CHECK(f->mode == DX_SPECIMEN_EVALUATORY);
    CHECK_STR(f->expected.of, "photo");
    f = dx_specimen_feature_find(s, "background_ir_dropout");
    REQUIRE(f);
    CHECK(f->region_element == NULL);
    CHECK(f->region.x == 60 && f->region.y == 2 && f->region.w == 36 && f->region.h == 9);
    CHECK(dx_specimen_feature_find(s, "thread")->mode == DX_SPECIMEN_OPTIONAL);
    /* no reference image in the source tree: listed, all missing */
    CHECK(dx_specimen_reference_count(s) == 8);
    for (size_t i = 0; i < dx_specimen_reference_count(s); i++) {
        const dx_specimen_reference *r = dx_specimen_reference_at(s, i);
        char want[128], sha[65];
        snprintf(want, sizeof want, "reference/data_page/%s.png", in->illuminations[i]);
        CHECK_STR(r->file, want);
        CHECK(!r->present);
        CHECK(dx_specimen_reference_sha256(s, i, sha, &err) == DX_ERR_NOT_FOUND);
    }
    check_against_json(s, "UTO-P-2024");
    char *js = dx_specimen_to_json(s);
    CHECK(js && strstr(js, "\"references_missing\": 8"));
    free(js);
    dx_specimen_close(s);

    /* the identity card: two sides, features on the back */
    s = NULL;
    CHECK_MSG(dx_specimen_open(spec_dir, "UTO-ID-2021", &s, &err) == DX_OK, "%s", err.message);
    REQUIRE(s);
    in = dx_specimen_info_get(s);
    CHECK_STR(in->icao_format, "TD1");
    CHECK(in->n_sides == 2);
    CHECK_STR(in->sides[1], "back");
    CHECK(near(in->page_width_mm, 85.6) && near(in->page_height_mm, 53.98));
    CHECK_STR(in->chip_aa, "ecdsa");
    CHECK(dx_specimen_feature_count(s) == 9);
    CHECK(dx_specimen_element_count(s) == 19);
    f = dx_specimen_feature_find(s, "mrz_ir_absorbent");
    REQUIRE(f);
    CHECK(f->side == 1);
    CHECK_STR(f->side_name, "back");
    CHECK(f->region.x == 3 && f->region.y == 36 && f->region.w == 80 && f->region.h == 16);
    f = dx_specimen_feature_find(s, "uv_emblem");
    REQUIRE(f);
    CHECK(f->side == 0);
    CHECK(dx_specimen_reference_count(s) == 16);
    CHECK_STR(dx_specimen_reference_at(s, 8)->file, "reference/back/white.png");
    CHECK(dx_specimen_reference_at(s, 16) == NULL);
    check_against_json(s, "UTO-ID-2021");
    dx_specimen_close(s);

    /* the installed data (dx_datadir()) when no directory is given */
    s = NULL;
    CHECK_MSG(dx_specimen_open(NULL, "UTO-P-2024", &s, &err) == DX_OK, "%s", err.message);
    dx_specimen_close(s);
    dx_specimen_close(NULL);
}

/* Apply the case's ops to the committed manifest (see broken.json). */
static json_t *apply_ops(json_t *doc, json_t *ops)
{
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        json_t *path = json_object_get(op, "set");
        bool set = path != NULL;
        if (!set)
            path = json_object_get(op, "delete");
        REQUIRE(json_is_array(path));
        json_t *value = json_object_get(op, "value");
        size_t n = json_array_size(path);
        if (n == 0) {
            json_decref(doc);
            doc = json_deep_copy(value);
            continue;
        }
        json_t *parent = doc;
        for (size_t k = 0; k + 1 < n; k++) {
            json_t *key = json_array_get(path, k);
            parent = json_is_string(key) ? json_object_get(parent, json_string_value(key))
                                         : json_array_get(parent, (size_t)json_integer_value(key));
            REQUIRE(parent);
        }
        json_t *last = json_array_get(path, n - 1);
        if (json_is_string(last)) {
            if (set)
                REQUIRE(json_object_set_new(parent, json_string_value(last),
                                            json_deep_copy(value)) == 0);
            else
                REQUIRE(json_object_del(parent, json_string_value(last)) == 0);
        } else {
            size_t idx = (size_t)json_integer_value(last);
            if (set && idx == json_array_size(parent))
                REQUIRE(json_array_append_new(parent, json_deep_copy(value)) == 0);
            else if (set)
                REQUIRE(json_array_set_new(parent, idx, json_deep_copy(value)) == 0);
            else
                REQUIRE(json_array_remove(parent, idx) == 0);
        }
    }
    return doc;
}

/* The error is one line: "FILE: ..." (or "FILE:LINE:COLUMN: ...") with `want` in it. */
static void check_error(const dx_error *err, const char *file, const char *want, const char *name)
{
    CHECK_MSG(strncmp(err->message, file, strlen(file)) == 0 &&
                  err->message[strlen(file)] == ':',
              "%s: message does not start with the file: %s", name, err->message);
    CHECK_MSG(strstr(err->message, want) != NULL, "%s: \"%s\" not in \"%s\"", name, want,
              err->message);
    CHECK_MSG(!strchr(err->message, '\n'), "%s: message has a newline", name);
}

static void test_broken(void)
{
    char path[4200];
    json_error_t je;
    snprintf(path, sizeof path, "%s/tests/unit/specimen/broken.json", src);
    json_t *root = json_load_file(path, 0, &je), *cases = json_object_get(root, "cases");
    REQUIRE(json_array_size(cases) > 50);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *id = json_string_value(json_object_get(c, "specimen"));
        const char *want = json_string_value(json_object_get(c, "error"));
        char dir[4200], sdir[4300], file[4400];
        snprintf(dir, sizeof dir, "%s/broken/%s", scratch, name);
        snprintf(sdir, sizeof sdir, "%s/%s", dir, id);
        snprintf(file, sizeof file, "%s/specimen.json", sdir);
        mkdirs(sdir);
        unlink(file);
        json_t *doc = apply_ops(committed(id), json_object_get(c, "ops"));
        REQUIRE(json_dump_file(doc, file, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == 0);
        json_decref(doc);
        dx_specimen *s = (dx_specimen *)1;
        dx_error err = {0};
        dx_status st = dx_specimen_open(dir, id, &s, &err);
        CHECK_MSG(st == DX_ERR_DATA, "%s: status %d (%s)", name, st, err.message);
        CHECK_MSG(s == NULL, "%s: handle set on failure", name);
        CHECK(err.status == DX_ERR_DATA);
        check_error(&err, file, want, name);
        /* the listing reports it, with the same message */
        dx_specimen_listing *l = NULL;
        REQUIRE(dx_specimen_list(dir, &l, &err) == DX_OK);
        CHECK(l->n == 1 && l->entries[0].spec == NULL && l->entries[0].status == DX_ERR_DATA);
        CHECK(l->n == 1 && strstr(l->entries[0].error, want));
        dx_specimen_list_free(l);
    }
    json_decref(root);
}

/* Files that are not a manifest at all. */
static void test_files(void)
{
    static const struct {
        const char *name, *text, *want;
        dx_status st;
    } raw[] = {
        {"empty", "", "not JSON", DX_ERR_DATA},
        {"not_json", "specimen: yes\n", "not JSON", DX_ERR_DATA},
        {"truncated", "{\"format\": \"docex.specimen/1\", \"id\": \"X", "not JSON", DX_ERR_DATA},
        {"duplicate_key", "{\"format\": \"docex.specimen/1\", \"format\": \"docex.specimen/1\"}",
         "duplicate object key", DX_ERR_DATA},
        {"string", "\"docex.specimen/1\"", "not JSON", DX_ERR_DATA},
        {"object_only_format", "{\"format\": \"docex.specimen/1\"}", "id: missing", DX_ERR_DATA},
    };
    dx_error err = {0};
    dx_specimen *s = NULL;
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        char dir[4200], file[4300];
        snprintf(dir, sizeof dir, "%s/files/%s/X", scratch, raw[i].name);
        mkdirs(dir);
        snprintf(file, sizeof file, "%s/specimen.json", dir);
        write_file(file, raw[i].text, strlen(raw[i].text));
        snprintf(dir, sizeof dir, "%s/files/%s", scratch, raw[i].name);
        CHECK_MSG(dx_specimen_open(dir, "X", &s, &err) == raw[i].st, "%s: %s", raw[i].name,
                  err.message);
        check_error(&err, file, raw[i].want, raw[i].name);
    }
    /* a NUL byte and a manifest larger than the limit */
    char dir[4200], file[4300];
    snprintf(dir, sizeof dir, "%s/files/nul/X", scratch);
    mkdirs(dir);
    snprintf(file, sizeof file, "%s/specimen.json", dir);
    write_file(file, "{\"format\": \"docex\0.specimen/1\"}", 31);
    snprintf(dir, sizeof dir, "%s/files/nul", scratch);
    CHECK(dx_specimen_open(dir, "X", &s, &err) == DX_ERR_DATA);
    check_error(&err, file, "not JSON", "nul");
    snprintf(dir, sizeof dir, "%s/files/large/X", scratch);
    mkdirs(dir);
    snprintf(file, sizeof file, "%s/specimen.json", dir);
    size_t big = DX_SPECIMEN_MAX_FILE_BYTES + 10;
    char *buf = malloc(big);
    REQUIRE(buf);
    memset(buf, ' ', big);
    buf[0] = '{';
    buf[big - 1] = '}';
    write_file(file, buf, big);
    free(buf);
    snprintf(dir, sizeof dir, "%s/files/large", scratch);
    CHECK(dx_specimen_open(dir, "X", &s, &err) == DX_ERR_DATA);
    check_error(&err, file, "larger than a specimen manifest may be", "large");
    /* specimen.json a directory */
    snprintf(dir, sizeof dir, "%s/files/dir/X/specimen.json", scratch);
    mkdirs(dir);
    snprintf(dir, sizeof dir, "%s/files/dir", scratch);
    CHECK(dx_specimen_open(dir, "X", &s, &err) != DX_OK);
    CHECK(strstr(err.message, "specimen.json") != NULL);
    /* a FIFO as specimen.json: refused at once, not waited on */
    snprintf(dir, sizeof dir, "%s/files/fifo/X", scratch);
    mkdirs(dir);
    snprintf(file, sizeof file, "%s/specimen.json", dir);
    unlink(file);
    REQUIRE(mkfifo(file, 0600) == 0);
    snprintf(dir, sizeof dir, "%s/files/fifo", scratch);
    CHECK(dx_specimen_open(dir, "X", &s, &err) == DX_ERR_DATA);
    check_error(&err, file, "not a regular file", "fifo");
    /* a missing file: not found, naming the ids there */
    CHECK(dx_specimen_open(spec_dir, "UTO-X-1999", &s, &err) == DX_ERR_NOT_FOUND);
    CHECK(s == NULL);
    CHECK_MSG(strstr(err.message, "UTO-X-1999") && strstr(err.message, "UTO-ID-2021, UTO-P-2024"),
              "%s", err.message);
    snprintf(dir, sizeof dir, "%s/files/no-such-dir", scratch);
    CHECK(dx_specimen_open(dir, "UTO-P-2024", &s, &err) == DX_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "specimens there: none") != NULL);
    /* not an id */
    static const char *const bad_ids[] = {"", ".", "..", "../UTO-P-2024", "a/b", ".hidden",
                                          "UTO P", "0123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        CHECK_MSG(dx_specimen_open(spec_dir, bad_ids[i], &s, &err) == DX_ERR_INVALID_ARG, "%s",
                  bad_ids[i]);
        CHECK(s == NULL);
    }
    CHECK(dx_specimen_open(spec_dir, NULL, &s, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_specimen_open(spec_dir, "UTO-P-2024", NULL, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_specimen_list(spec_dir, NULL, &err) == DX_ERR_INVALID_ARG);
}

/* The committed manifest of `id` as dir/as_id/specimen.json. */
static void copy_as(const char *dir, const char *id, const char *as_id)
{
    char sdir[4200], file[4300];
    snprintf(sdir, sizeof sdir, "%s/%s", dir, as_id);
    mkdirs(sdir);
    snprintf(file, sizeof file, "%s/specimen.json", sdir);
    json_t *j = committed(id);
    unlink(file);
    REQUIRE(json_dump_file(j, file, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0);
    json_decref(j);
}

static void copy_committed(const char *dir, const char *id)
{
    copy_as(dir, id, id);
}

static void test_list(void)
{
    dx_specimen_listing *l = NULL;
    dx_error err = {0};
    /* the committed ones */
    REQUIRE(dx_specimen_list(spec_dir, &l, &err) == DX_OK);
    REQUIRE(l->n >= 2);
    CHECK_STR(l->dir, spec_dir);
    for (size_t i = 0; i < l->n; i++)
        CHECK_MSG(l->entries[i].spec && l->entries[i].status == DX_OK && !l->entries[i].error[0],
                  "%s: %s", l->entries[i].id, l->entries[i].error);
    CHECK_STR(l->entries[0].id, "UTO-ID-2021");
    CHECK_STR(l->entries[1].id, "UTO-P-2024");
    dx_specimen_list_free(l);
    dx_specimen_list_free(NULL);

    /* a lab's directory: two good, one not JSON, one without a manifest, one
     * whose id differs; a plain file and a dot directory are not specimens */
    char dir[4200], p[4400];
    snprintf(dir, sizeof dir, "%s/lab", scratch);
    copy_committed(dir, "UTO-P-2024");
    copy_committed(dir, "UTO-ID-2021");
    snprintf(p, sizeof p, "%s/AAA-BROKEN", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/AAA-BROKEN/specimen.json", dir);
    write_file(p, "{not json", 9);
    snprintf(p, sizeof p, "%s/EMPTY", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/README.txt", dir);
    write_file(p, "specimens\n", 10);
    snprintf(p, sizeof p, "%s/.cache", dir);
    mkdirs(p);
    copy_as(dir, "UTO-P-2024", "UTO-P-COPY");
    REQUIRE(dx_specimen_list(dir, &l, &err) == DX_OK);
    REQUIRE(l->n == 5);
    static const char *const ids[] = {"AAA-BROKEN", "EMPTY", "UTO-ID-2021", "UTO-P-2024",
                                      "UTO-P-COPY"};
    for (size_t i = 0; i < 5; i++)
        CHECK_STR(l->entries[i].id, ids[i]);
    CHECK(!l->entries[0].spec && l->entries[0].status == DX_ERR_DATA);
    CHECK(strstr(l->entries[0].error, "AAA-BROKEN/specimen.json:1:") != NULL);
    CHECK(!l->entries[1].spec && l->entries[1].status == DX_ERR_NOT_FOUND);
    CHECK(strstr(l->entries[1].error, "EMPTY/specimen.json") != NULL);
    CHECK(l->entries[2].spec && l->entries[3].spec);
    CHECK(dx_specimen_feature_count(l->entries[3].spec) == 13);
    CHECK(!l->entries[4].spec && strstr(l->entries[4].error, "differs from the directory's name"));
    dx_specimen_list_free(l);

    snprintf(dir, sizeof dir, "%s/no-such-dir", scratch);
    CHECK(dx_specimen_list(dir, &l, &err) == DX_ERR_NOT_FOUND && l == NULL);
    CHECK(strstr(err.message, "no-such-dir") != NULL);
}

static void test_references(void)
{
    char dir[4200], p[4400];
    dx_specimen *s = NULL;
    dx_error err = {0};
    char sha[65];
    snprintf(dir, sizeof dir, "%s/refs", scratch);
    copy_committed(dir, "UTO-ID-2021");
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/back", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/back/uv365.png", dir);
    write_file(p, "abc", 3);
    /* the first side: reference/front/ first, else reference/ (a synth scene) */
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/white.png", dir);
    write_file(p, "", 0);
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/front", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/front/ir870.png", dir);
    write_file(p, "abc", 3);
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/ir870.png", dir);
    write_file(p, "not this one", 12);
    /* a directory or a FIFO is not an image */
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/front/uv254.png", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/UTO-ID-2021/reference/front/oblique.png", dir);
    unlink(p);
    REQUIRE(mkfifo(p, 0600) == 0);
    REQUIRE(dx_specimen_open(dir, "UTO-ID-2021", &s, &err) == DX_OK);
    size_t present = 0;
    for (size_t i = 0; i < dx_specimen_reference_count(s); i++) {
        const dx_specimen_reference *r = dx_specimen_reference_at(s, i);
        present += r->present;
        dx_status st = dx_specimen_reference_sha256(s, i, sha, &err);
        if (!strcmp(r->side_name, "back") && !strcmp(r->illumination, "uv365")) {
            CHECK(r->present && st == DX_OK);
            CHECK_STR(r->file, "reference/back/uv365.png");
            CHECK_STR(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        } else if (!strcmp(r->side_name, "front") && !strcmp(r->illumination, "white")) {
            CHECK(r->present && st == DX_OK);
            CHECK_STR(r->file, "reference/white.png");
            CHECK_STR(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        } else if (!strcmp(r->side_name, "front") && !strcmp(r->illumination, "ir870")) {
            CHECK(r->present && st == DX_OK);
            CHECK_STR(r->file, "reference/front/ir870.png");
            CHECK_STR(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        } else {
            CHECK_MSG(!r->present && st == DX_ERR_NOT_FOUND, "%s %s", r->side_name,
                      r->illumination);
        }
    }
    CHECK(present == 3);
    CHECK(dx_specimen_reference_sha256(s, 99, sha, &err) == DX_ERR_INVALID_ARG);
    char *js = dx_specimen_to_json(s);
    REQUIRE(js);
    CHECK(strstr(js, "\"references_present\": 3") && strstr(js, "\"references_missing\": 13"));
    json_error_t je;
    json_t *j = json_loads(js, 0, &je);
    CHECK(j != NULL);
    json_decref(j);
    free(js);
    dx_specimen_close(s);
}

/* docex/specimen.h's vocabulary is the schema's. */
static void test_vocabulary(void)
{
    char path[4200];
    json_error_t je;
    snprintf(path, sizeof path, "%s/share/schemas/specimen.schema.json", src);
    json_t *schema = json_load_file(path, 0, &je), *defs = json_object_get(schema, "$defs");
    REQUIRE(defs);
    json_t *illum = json_object_get(json_object_get(defs, "illumination"), "enum");
    CHECK(json_array_size(illum) == DX_ILLUM_COUNT);
    for (size_t i = 0; i < DX_ILLUM_COUNT; i++)
        CHECK_STR(json_string_value(json_array_get(illum, i)), dx_illumination_at(i)->name);
    json_t *notation = json_object_get(
        json_object_get(json_object_get(defs, "feature"), "properties"), "notation");
    json_t *np = json_object_get(notation, "properties");
#define NAME_(e, name, desc) name,
    static const char *const lights[] = {DX_SPECIMEN_LIGHTS(NAME_)};
    static const char *const props[] = {DX_SPECIMEN_PROPERTIES(NAME_)};
#undef NAME_
#define MNAME_(e, name, lo, hi, flags, desc) name,
    static const char *const measures[] = {DX_SPECIMEN_MEASURES(MNAME_)};
#undef MNAME_
    json_t *l = json_object_get(json_object_get(np, "light"), "enum");
    json_t *pr = json_object_get(json_object_get(np, "property"), "enum");
    json_t *me = json_object_get(
        json_object_get(json_object_get(json_object_get(defs, "expected"), "properties"),
                        "measure"),
        "enum");
    CHECK(json_array_size(l) == sizeof lights / sizeof lights[0]);
    for (size_t i = 0; i < json_array_size(l); i++)
        CHECK_STR(json_string_value(json_array_get(l, i)), lights[i]);
    CHECK(json_array_size(pr) == sizeof props / sizeof props[0]);
    for (size_t i = 0; i < json_array_size(pr); i++)
        CHECK_STR(json_string_value(json_array_get(pr, i)), props[i]);
    CHECK(json_array_size(me) == sizeof measures / sizeof measures[0]);
    for (size_t i = 0; i < json_array_size(me); i++)
        CHECK_STR(json_string_value(json_array_get(me, i)), measures[i]);
    json_decref(schema);
    /* lights of the standard illuminations */
    CHECK_STR(dx_specimen_light_of("uv254"), "UV");
    CHECK_STR(dx_specimen_light_of("uv365"), "UV");
    CHECK_STR(dx_specimen_light_of("ir730"), "IR");
    CHECK_STR(dx_specimen_light_of("ir_transmitted"), "IR");
    CHECK_STR(dx_specimen_light_of("white_transmitted"), "VI");
    CHECK_STR(dx_specimen_light_of("coaxial"), "VI");
    CHECK(dx_specimen_light_of("acme") == NULL && dx_specimen_light_of(NULL) == NULL);
    CHECK_STR(dx_specimen_mode_name(DX_SPECIMEN_OPTIONAL), "optional");
    CHECK_STR(dx_specimen_mode_name((dx_specimen_mode)7), "unknown");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SOURCE_DIR SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    src = argv[1];
    scratch = argv[2];
    snprintf(spec_dir, sizeof spec_dir, "%s/share/specimens", src);
    mkdirs(scratch);
    test_committed();
    test_broken();
    test_files();
    test_list();
    test_references();
    test_vocabulary();
    return dxtest_done();
}
