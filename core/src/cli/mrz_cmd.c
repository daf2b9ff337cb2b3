/* docex mrz parse | read */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/mrz_read_cmd.h"
#include "docex/mrz.h"

#define MRZ_STDIN_MAX (64 * 1024)

static const char mrz_help[] =
    "usage: docex mrz parse [--json] [--today YYYYMMDD] [LINE...]\n"
    "       docex mrz read IMAGE [--json]   (see docex mrz read --help)\n"
    "\n"
    "Parses and validates a machine readable zone (ICAO 9303: TD1, TD2, TD3,\n"
    "MRV-A, MRV-B): every field, every check digit, the composite, the dates,\n"
    "the codes of 9303 Part 3.  Lines come from the arguments, or from stdin\n"
    "when none are given; blank lines and surrounding spaces are ignored.\n"
    "  --json            the result as JSON (share/schemas/mrz.schema.json)\n"
    "  --today YYYYMMDD  reference date for centuries and expiry (default: today)\n"
    "Exit status: 0 every check passes, 1 a check fails, 2 the input is not an\n"
    "MRZ (line count, length or characters; the message says what and where).\n";

/* Read stdin into lines (pointers into *buf). */
static int read_stdin_lines(char **buf, char ***lines, size_t *n)
{
    size_t len = 0, cap = 4096, count = 0;
    char *b = malloc(cap + 1), **l;
    size_t got;
    if (!b)
        return -1;
    while ((got = fread(b + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) {
            char *g;
            if (cap >= MRZ_STDIN_MAX) {
                free(b);
                return -2;
            }
            cap *= 2;
            g = realloc(b, cap + 1);
            if (!g) {
                free(b);
                return -1;
            }
            b = g;
        }
    }
    b[len] = '\0';
    for (size_t i = 0; i <= len; i++)
        if (i == len || b[i] == '\n')
            count++;
    l = calloc(count + 1, sizeof *l);
    if (!l) {
        free(b);
        return -1;
    }
    count = 0;
    l[count++] = b;
    for (size_t i = 0; i < len; i++)
        if (b[i] == '\n') {
            b[i] = '\0';
            l[count++] = b + i + 1;
        }
    *buf = b;
    *lines = l;
    *n = count;
    return 0;
}

static void print_text(const dx_mrz *m)
{
    printf("format:          %s\n", dx_mrz_format_name(m->format));
    printf("valid:           %s\n", m->valid ? "yes" : "NO");
    printf("document code:   %s\n", m->document_code);
    printf("issuing state:   %s%s%s\n", m->issuing_state,
           dx_mrz_code_name(m->issuing_state) ? "  " : "",
           dx_mrz_code_name(m->issuing_state) ? dx_mrz_code_name(m->issuing_state) : "");
    printf("document number: %s\n", m->document_number);
    printf("surname:         %s\n", m->surname);
    printf("given names:     %s%s\n", m->given_names, m->name_truncated ? "  (may be truncated)" : "");
    printf("nationality:     %s\n", m->nationality);
    if (m->birth_date.valid && m->birth_date.year && m->birth_date.month && m->birth_date.day)
        printf("birth date:      %04d-%02d-%02d\n", m->birth_date.year, m->birth_date.month,
               m->birth_date.day);
    else
        printf("birth date:      %s\n", m->birth_date.raw);
    printf("sex:             %c\n", m->sex);
    if (m->expiry_date.valid)
        printf("expiry date:     %04d-%02d-%02d\n", m->expiry_date.year, m->expiry_date.month,
               m->expiry_date.day);
    else
        printf("expiry date:     %s\n", m->expiry_date.raw);
    printf("optional data:   %s\n", m->optional_data);
    if (m->format == DX_MRZ_TD1)
        printf("optional data 2: %s\n", m->optional_data_2);
    printf("checks:\n");
    for (size_t i = 0; i < m->n_checks; i++) {
        const dx_mrz_check *c = &m->checks[i];
        if (c->ok)
            printf("  ok    %-22s %s\n", c->name, c->found);
        else
            printf("  FAIL  %-22s expected %s, found %s\n", c->name, c->expected, c->found);
    }
    for (size_t i = 0; i < m->n_warnings; i++)
        printf("warning: %s\n", m->warnings[i]);
}

static int mrz_parse(int argc, char **argv)
{
    bool json = false;
    int32_t today = 0;
    char *buf = NULL, **lines = NULL;
    size_t n = 0;
    int first = argc;
    dx_mrz m;
    dx_error err = {0};
    dx_status st;
    dx_mrz_options opts = {0};

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--today") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 19000101 || v > 29991231) {
                dx_cli_error("mrz parse", "--today %s: expected YYYYMMDD", argv[i]);
                return DX_EXIT_ERROR;
            }
            today = (int32_t)v;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(mrz_help, stdout);
            return DX_EXIT_OK;
        } else if (strcmp(argv[i], "--") == 0) {
            first = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            dx_cli_error("mrz parse", "unknown option %s (see docex mrz --help)", argv[i]);
            return DX_EXIT_ERROR;
        } else {
            first = i;
            break;
        }
    }
    if (first < argc) {
        lines = argv + first;
        n = (size_t)(argc - first);
    } else {
        int r = read_stdin_lines(&buf, &lines, &n);
        if (r != 0) {
            dx_cli_error("mrz parse", r == -2 ? "stdin: more than %d bytes: not an MRZ"
                                              : "stdin: out of memory", MRZ_STDIN_MAX);
            return DX_EXIT_ERROR;
        }
    }
    opts.today = today;
    st = dx_mrz_parse((const char *const *)lines, n, &opts, &m, &err);
    if (buf) {
        free(buf);
        free(lines);
    }
    if (st != DX_OK) {
        dx_cli_error("mrz parse", "%s", err.message);
        return DX_EXIT_ERROR;
    }
    if (json) {
        char *text = dx_mrz_to_json(&m);
        if (!text) {
            dx_cli_error("mrz parse", "out of memory");
            return DX_EXIT_ERROR;
        }
        puts(text);
        free(text);
    } else {
        print_text(&m);
    }
    return m.valid ? DX_EXIT_OK : DX_EXIT_FAILED;
}

int dx_cmd_mrz(const dx_cli_globals *g, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(mrz_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? DX_EXIT_ERROR : DX_EXIT_OK;
    }
    if (strcmp(argv[1], "parse") == 0)
        return mrz_parse(argc - 1, argv + 1);
    if (strcmp(argv[1], "read") == 0)
        return dx_cmd_mrz_read(g, argc - 1, argv + 1);
    dx_cli_error("mrz", "unknown subcommand \"%s\" (see docex mrz --help)", argv[1]);
    return DX_EXIT_ERROR;
}
