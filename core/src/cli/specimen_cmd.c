/* docex specimen list [--json] | show ID [--json]   [--specimens DIR] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "docex/mrz.h"
#include "docex/specimen.h"

static const char specimen_help[] =
    "usage: docex specimen list [--json] [--specimens DIR]\n"
    "       docex specimen show ID [--json] [--specimens DIR]\n"
    "\n"
    "Reference specimens: what a genuine document of a series looks like.\n"
    "  list          every specimen: id, ICAO format, issuing state, sides, lights,\n"
    "                name; a broken one is named on stderr with why (and under\n"
    "                \"broken\" in --json), the others are still listed\n"
    "  show ID       the manifest, the layout, each security feature (TR-03135\n"
    "                notation, lights, region in mm, mode, expected measurement)\n"
    "                and the reference images present, with their SHA-256\n"
    "  --specimens DIR  a directory of specimens (<ID>/specimen.json) instead of\n"
    "                the installed ones (share/docex/specimens)\n"
    "  --json        output per share/schemas/specimen_list.schema.json or\n"
    "                specimen_show.schema.json\n"
    "Exit status 0; 2 on a usage error, an unknown id or a broken specimen (list:\n"
    "when any is broken).\n";

/* "a,b,c" into buf. */
static const char *joined(const char *const *v, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, "%s%s", i ? "," : "", v[i]);
    }
    return buf;
}

static json_t *jstrings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static int list(const char *dir, bool json)
{
    dx_specimen_listing *l = NULL;
    dx_error err = {0};
    size_t broken = 0;
    int header = 0;
    char b1[64], b2[512];
    if (dx_specimen_list(dir, &l, &err) != DX_OK) {
        dx_cli_error("specimen", "%s", err.message);
        return DX_EXIT_ERROR;
    }
    json_t *root = json ? json_object() : NULL, *specs = json_array(), *bad = json_array();
    if (!json && l->n == 0)
        printf("no specimens in %s\n", l->dir);
    for (size_t i = 0; i < l->n; i++) {
        const dx_specimen_list_entry *e = &l->entries[i];
        if (!e->spec) {
            broken++;
            dx_cli_error("specimen", "%s", e->error);
            json_t *o = json_object();
            json_object_set_new(o, "id", json_string(e->id));
            json_object_set_new(o, "status", json_string(dx_status_name(e->status)));
            json_object_set_new(o, "error", json_string(e->error));
            json_array_append_new(bad, o);
            continue;
        }
        const dx_specimen_info *in = dx_specimen_info_get(e->spec);
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_string(in->id));
            json_object_set_new(o, "name", json_string(in->name));
            json_object_set_new(o, "format", json_string(in->format));
            json_object_set_new(o, "document_type", json_string(in->document_type));
            json_object_set_new(o, "icao_format", json_string(in->icao_format));
            json_object_set_new(o, "issuing_state", json_string(in->issuing_state));
            json_object_set_new(o, "sides", jstrings(in->sides, in->n_sides));
            json_object_set_new(o, "illuminations",
                                jstrings(in->illuminations, in->n_illuminations));
            json_object_set_new(o, "features",
                                json_integer((json_int_t)dx_specimen_feature_count(e->spec)));
            json_array_append_new(specs, o);
        } else {
            if (!header++)
                printf("%-16s %-4s %-5s %-18s %-8s %s\n", "ID", "ICAO", "STATE", "SIDES",
                       "FEATURES", "NAME");
            printf("%-16s %-4s %-5s %-18s %-8zu %s\n", in->id, in->icao_format,
                   in->issuing_state, joined(in->sides, in->n_sides, b1, sizeof b1),
                   dx_specimen_feature_count(e->spec), in->name);
            printf("%-16s lights: %s\n", "",
                   joined(in->illuminations, in->n_illuminations, b2, sizeof b2));
        }
    }
    int rc = DX_EXIT_OK;
    if (json) {
        json_object_set_new(root, "format", json_string("docex.specimen-list/1"));
        json_t *d = json_string(l->dir);
        if (!d) { /* not UTF-8: say it with '?' */
            char *copy = strdup(l->dir);
            for (char *p = copy; p && *p; p++)
                if ((unsigned char)*p >= 0x80)
                    *p = '?';
            d = json_string(copy ? copy : "?");
            free(copy);
        }
        json_object_set_new(root, "dir", d);
        json_object_set_new(root, "specimens", specs);
        json_object_set_new(root, "broken", bad);
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
            rc = DX_EXIT_ERROR;
        fputc('\n', stdout);
        json_decref(root);
    } else {
        json_decref(specs);
        json_decref(bad);
    }
    dx_specimen_list_free(l);
    return broken ? DX_EXIT_ERROR : rc;
}

static void print_rect(const dx_specimen_rect *r)
{
    printf("[%g, %g, %g, %g] mm", r->x, r->y, r->w, r->h);
}

static void print_expected(const dx_specimen_expectation *x)
{
    printf("%s", x->measure);
    if (x->has_min && x->has_max)
        printf(" in %g..%g", x->min, x->max);
    else if (x->has_min)
        printf(" >= %g", x->min);
    else
        printf(" <= %g", x->max);
    if (x->has_hue)
        printf(", hue %g..%g deg", x->hue_min_deg, x->hue_max_deg);
    if (x->of)
        printf(", of %s", x->of);
}

static int show_text(const dx_specimen *s)
{
    const dx_specimen_info *in = dx_specimen_info_get(s);
    const char *state = dx_mrz_code_name(in->issuing_state);
    char b[512];
    printf("%s  %s\n", in->id, in->name);
    printf("  %-14s %s\n", "format", in->format);
    printf("  %-14s %s\n", "file", in->path);
    printf("  %-14s %s, %s, code %s, issued by %s%s%s%s, series %s\n", "document",
           in->document_type, in->icao_format, in->document_code, in->issuing_state,
           state ? " (" : "", state ? state : "", state ? ")" : "", in->series);
    printf("  %-14s %g x %g mm\n", "page", in->page_width_mm, in->page_height_mm);
    printf("  %-14s from %s%s%s\n", "valid", in->valid_from, in->valid_until ? " until " : ", no end",
           in->valid_until ? in->valid_until : "");
    printf("  %-14s %s\n", "sides", joined(in->sides, in->n_sides, b, sizeof b));
    printf("  %-14s %s\n", "illuminations",
           joined(in->illuminations, in->n_illuminations, b, sizeof b));
    printf("  %-14s %d\n", "reference dpi", in->reference_dpi);
    if (in->n_holder) {
        size_t col = printf("  %-14s", "holder");
        for (size_t i = 0; i < in->n_holder; i++) {
            size_t w = strlen(in->holder[i].key) + strlen(in->holder[i].value) + 3;
            if (i && col + w > 96)
                col = printf(",\n  %-14s", "");
            else if (i)
                col += printf(",");
            col += printf(" %s=%s", in->holder[i].key, in->holder[i].value);
        }
        printf("\n");
    }
    if (in->has_chip) {
        printf("  %-14s active authentication %s, chip authentication %s, PACE", "chip",
               in->chip_aa ? in->chip_aa : "none", in->chip_auth ? "yes" : "no");
        for (size_t i = 0; i < in->n_pace; i++)
            printf("%s%d", i ? ", " : " ", in->pace[i]);
        printf("%s\n", in->n_pace ? "" : " none");
    }
    printf("layout (%zu elements)\n", dx_specimen_element_count(s));
    for (size_t i = 0; i < dx_specimen_element_count(s); i++) {
        const dx_specimen_element *e = dx_specimen_element_at(s, i);
        printf("  %-16s %-12s %-10s ", e->id, e->type, e->side_name);
        print_rect(&e->rect);
        printf("\n");
    }
    printf("features (%zu)\n", dx_specimen_feature_count(s));
    for (size_t i = 0; i < dx_specimen_feature_count(s); i++) {
        const dx_specimen_feature *f = dx_specimen_feature_at(s, i);
        printf("  %-22s %-10s (%s, %s, %s)\n", f->id, dx_specimen_mode_name(f->mode), f->light,
               f->property, f->feature);
        printf("      side %s, %s %s, region %s%s", f->side_name,
               f->n_illuminations > 1 ? "lights" : "light",
               joined(f->illuminations, f->n_illuminations, b, sizeof b),
               f->region_element ? f->region_element : "", f->region_element ? " " : "");
        print_rect(&f->region);
        printf("\n      expected ");
        print_expected(&f->expected);
        printf("\n      %s\n", f->description);
    }
    size_t n = dx_specimen_reference_count(s), present = 0;
    for (size_t i = 0; i < n; i++)
        present += dx_specimen_reference_at(s, i)->present;
    printf("reference images (%zu of %zu present)\n", present, n);
    for (size_t i = 0; i < n; i++) {
        const dx_specimen_reference *r = dx_specimen_reference_at(s, i);
        char sha[65];
        dx_error err = {0};
        if (!r->present)
            printf("  %-40s missing\n", r->file);
        else if (dx_specimen_reference_sha256(s, i, sha, &err) == DX_OK)
            printf("  %-40s sha256 %s\n", r->file, sha);
        else
            printf("  %-40s unreadable: %s\n", r->file, err.message);
    }
    return DX_EXIT_OK;
}

static int show(const char *dir, const char *id, bool json)
{
    dx_specimen *s = NULL;
    dx_error err = {0};
    int rc = DX_EXIT_OK;
    if (dx_specimen_open(dir, id, &s, &err) != DX_OK) {
        dx_cli_error("specimen", "%s", err.message);
        return DX_EXIT_ERROR;
    }
    if (json) {
        char *text = dx_specimen_to_json(s);
        if (text) {
            printf("%s\n", text);
            free(text);
        } else {
            dx_cli_error("specimen", "show %s: out of memory", id);
            rc = DX_EXIT_ERROR;
        }
    } else {
        rc = show_text(s);
    }
    dx_specimen_close(s);
    return rc;
}

int dx_cmd_specimen(const dx_cli_globals *g, int argc, char **argv)
{
    (void)g;
    const char *dir = NULL, *pos[2] = {NULL, NULL};
    size_t n_pos = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(specimen_help, stdout);
            return DX_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--specimens")) {
            if (i + 1 >= argc) {
                dx_cli_error("specimen", "--specimens needs a directory");
                return DX_EXIT_ERROR;
            }
            dir = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            dx_cli_error("specimen", "unknown option %s (see docex specimen --help)", a);
            return DX_EXIT_ERROR;
        } else if (n_pos < 2) {
            pos[n_pos++] = a;
        } else {
            dx_cli_error("specimen", "unexpected argument \"%s\" (see docex specimen --help)", a);
            return DX_EXIT_ERROR;
        }
    }
    if (n_pos == 1 && !strcmp(pos[0], "list"))
        return list(dir, json);
    if (n_pos == 2 && !strcmp(pos[0], "show"))
        return show(dir, pos[1], json);
    if (n_pos >= 1 && !strcmp(pos[0], "show"))
        dx_cli_error("specimen", "show needs one specimen id (see docex specimen list)");
    else if (n_pos >= 1 && !strcmp(pos[0], "list"))
        dx_cli_error("specimen", "list takes no argument");
    else if (n_pos >= 1)
        dx_cli_error("specimen", "unknown subcommand \"%s\": list or show ID", pos[0]);
    else
        dx_cli_error("specimen", "list or show ID? (see docex specimen --help)");
    return DX_EXIT_ERROR;
}
