/* docex mrz read IMAGE [--json] [--dpi N] [--today YYYYMMDD] [--no-repair] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/mrz_read_cmd.h"
#include "docex/mrz.h"
#include "docex/mrz_read.h"

static const char read_help[] =
    "usage: docex mrz read [--json] [--dpi N] [--today YYYYMMDD] [--no-repair] IMAGE|SET\n"
    "\n"
    "Finds the machine readable zone in a PNG capture (grey or colour, 8 or 16\n"
    "bit, any rotation within +-10 degrees and upside down, 150-1200 dpi; the\n"
    "IR capture is best: the MRZ absorbs IR), reads it (OCR-B), repairs\n"
    "ambiguous characters (0/O, 1/I, 8/B, 5/S, 2/Z...) only where the field's\n"
    "character class allows it and the check digits then pass, and validates it\n"
    "as `docex mrz parse` does.  SET is a capture set (a directory with\n"
    "capture.json, whose SHA-256 records are checked first) or a scene: the\n"
    "capture read is ir870, else ir950, ir730, white.\n"
    "  --json            the result as JSON (share/schemas/mrz_read.schema.json):\n"
    "                    the parse output plus lines (text, per-character\n"
    "                    confidence, box), rotation_deg, repairs, source\n"
    "  --dpi N           the image's resolution (default: the PNG's pHYs, else\n"
    "                    estimated from the 10 characters per inch pitch)\n"
    "  --today YYYYMMDD  reference date for centuries and expiry (default: today)\n"
    "  --no-repair       report the characters as recognised\n"
    "Exit status: 0 read and every check passes, 1 read and a check fails,\n"
    "2 no MRZ found, the file cannot be read, or a usage error.\n";

static void print_text(const dx_mrz_read_result *r)
{
    for (size_t l = 0; l < r->n_lines; l++) {
        const dx_mrz_read_line *ln = &r->lines[l];
        float lo = 1;
        for (size_t i = 0; i < ln->length; i++)
            if (ln->confidence[i] < lo)
                lo = ln->confidence[i];
        printf("%s   (lowest confidence %.2f)\n", ln->text, lo);
    }
    printf("format %s, %s; rotation %.1f degrees, %.0f dpi%s\n", dx_mrz_format_name(r->mrz.format),
           r->mrz.valid ? "every check passes" : "checks FAIL", r->rotation_deg, r->dpi,
           r->dpi_estimated ? " (estimated)" : "");
    for (size_t i = 0; i < r->n_repairs; i++)
        printf("repaired line %u column %u: %c -> %c\n", r->repairs[i].line + 1,
               r->repairs[i].column + 1, r->repairs[i].from, r->repairs[i].to);
    for (size_t i = 0; i < r->mrz.n_checks; i++) {
        const dx_mrz_check *c = &r->mrz.checks[i];
        if (!c->ok)
            printf("  FAIL  %-22s expected %s, found %s\n", c->name, c->expected, c->found);
    }
    for (size_t i = 0; i < r->mrz.n_warnings; i++)
        printf("warning: %s\n", r->mrz.warnings[i]);
}

int dx_cmd_mrz_read(const dx_cli_globals *g, int argc, char **argv)
{
    (void)g;
    bool json = false;
    const char *file = NULL;
    dx_mrz_options popts = {0};
    dx_mrz_read_options opts = {0};
    opts.parse = &popts;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--no-repair") == 0) {
            opts.no_repair = true;
        } else if ((strcmp(a, "--dpi") == 0 || strcmp(a, "--today") == 0) && i + 1 < argc) {
            char *end;
            const char *v = argv[++i];
            if (a[2] == 'd') {
                double d = strtod(v, &end);
                if (*end || !(d >= 50 && d <= 4800)) {
                    dx_cli_error("mrz read", "--dpi %s: expected a resolution of 50 to 4800", v);
                    return DX_EXIT_ERROR;
                }
                opts.dpi = d;
            } else {
                long t = strtol(v, &end, 10);
                if (*end || t < 19000101 || t > 29991231) {
                    dx_cli_error("mrz read", "--today %s: expected YYYYMMDD", v);
                    return DX_EXIT_ERROR;
                }
                popts.today = (int32_t)t;
            }
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(read_help, stdout);
            return DX_EXIT_OK;
        } else if (a[0] == '-' && a[1] != '\0' && strcmp(a, "--") != 0) {
            dx_cli_error("mrz read", "unknown option %s (see docex mrz read --help)", a);
            return DX_EXIT_ERROR;
        } else {
            if (strcmp(a, "--") == 0 && i + 1 < argc)
                a = argv[++i];
            if (file) {
                dx_cli_error("mrz read", "one image only (\"%s\" and \"%s\")", file, a);
                return DX_EXIT_ERROR;
            }
            file = a;
        }
    }
    if (!file) {
        fputs(read_help, stderr);
        return DX_EXIT_ERROR;
    }
    dx_mrz_read_result *r = malloc(sizeof *r);
    if (!r) {
        dx_cli_error("mrz read", "out of memory");
        return DX_EXIT_ERROR;
    }
    dx_error err = {0};
    dx_capture_set *set = NULL;
    const dx_capture_entry *src = NULL;
    struct stat sb;
    const char *image = file;
    if (stat(file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        dx_status st = dx_capture_set_open(file, &set, &err);
        if (st == DX_OK && !(src = dx_capture_set_mrz_source(set)))
            st = dx_error_set(&err, DX_ERR_NOT_FOUND, "%s: the set holds no capture", file);
        if (st != DX_OK) {
            dx_cli_error("mrz read", "%s", err.message);
            dx_capture_set_close(set);
            free(r);
            return DX_EXIT_ERROR;
        }
        image = src->path;
        if (opts.dpi <= 0 && src->dpi > 0)
            opts.dpi = src->dpi;
        if (!json)
            printf("reading %s (%s)\n", image, src->illumination);
    }
    dx_status st = dx_mrz_read_file(image, &opts, r, &err);
    if (st != DX_OK) {
        dx_cli_error("mrz read", "%s", err.message[0] ? err.message : dx_status_str(st));
        dx_capture_set_close(set);
        free(r);
        return DX_EXIT_ERROR;
    }
    int rc = r->mrz.valid ? DX_EXIT_OK : DX_EXIT_FAILED;
    if (json) {
        char *text = dx_mrz_read_to_json(r, image);
        if (text && src) { /* say which capture of the set was read */
            json_t *root = json_loads(text, JSON_DECODE_ANY, NULL);
            json_t *so = root ? json_object_get(root, "source") : NULL;
            free(text);
            text = NULL;
            if (so) {
                json_object_set_new(so, "capture_set", json_string(file));
                json_object_set_new(so, "illumination", json_string(src->illumination));
                if (src->sha256[0])
                    json_object_set_new(so, "sha256", json_string(src->sha256));
                text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            }
            json_decref(root);
        }
        if (!text) {
            dx_cli_error("mrz read", "out of memory");
            rc = DX_EXIT_ERROR;
        } else {
            puts(text);
            free(text);
        }
    } else {
        print_text(r);
    }
    dx_capture_set_close(set);
    free(r);
    return rc;
}
