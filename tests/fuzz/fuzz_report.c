/* Fuzz target: the reports' reading of findings.json (core/src/report/model.c)
 * and the HTML report written from it (html.c).  dx_report_html() and
 * dx_report_pdf() are exported: a lab's tool may hand them a findings.json
 * and a case directory that came from elsewhere.
 *
 * Input: a findings.json text.  A private case directory (on /dev/shm when
 * there is one: the report's fsync costs nothing there) holds one small PNG
 * at evidence/e.png and a capture/ directory, so that the paths an input
 * names can be present, missing, outside the case or not regular files.
 * Promises checked:
 *   - the model loads (DX_OK) any JSON object and refuses anything else with
 *     DX_ERR_INVALID_ARG and a message;
 *   - dx_report_html() writes the report or says why (DX_OK, DX_ERR_IO,
 *     DX_ERR_NO_MEMORY), never crashes, leaks or reads outside its input;
 *   - no tag of the HTML is a script, has an on... attribute or a
 *     javascript: URL: outside text is escaped (written as text and as
 *     quoted attribute values only, never as markup). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "report/report.h"

static char case_dir[256], out_path[300];

/* a 1 x 1 grey PNG */
static const unsigned char tiny_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0xe5, 0x27, 0xde, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82};

/* the case directory goes with the process (it holds only what setup()
 * and the report wrote) */
static void cleanup(void)
{
    const char *const parts[] = {"report.html", "evidence/e.png", "evidence", "capture", ""};
    char p[400];
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", case_dir, parts[i]);
        if (remove(p) != 0 && errno != ENOENT)
            fprintf(stderr, "fuzz_report: cannot remove %s: %s\n", p, strerror(errno));
    }
}

static void setup(void)
{
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : NULL;
    if (!base)
        base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(case_dir, sizeof case_dir, "%s/docex-fuzz-report-XXXXXX", base);
    FUZZ_ASSERT(mkdtemp(case_dir) != NULL, "mkdtemp %s: %s", case_dir, strerror(errno));
    char p[400];
    snprintf(p, sizeof p, "%s/evidence", case_dir);
    FUZZ_ASSERT(mkdir(p, 0755) == 0, "mkdir %s", p);
    snprintf(p, sizeof p, "%s/capture", case_dir);
    FUZZ_ASSERT(mkdir(p, 0755) == 0, "mkdir %s", p);
    snprintf(p, sizeof p, "%s/evidence/e.png", case_dir);
    FILE *f = fopen(p, "wb");
    FUZZ_ASSERT(f && fwrite(tiny_png, 1, sizeof tiny_png, f) == sizeof tiny_png && fclose(f) == 0,
                "cannot write %s", p);
    snprintf(out_path, sizeof out_path, "%s/report.html", case_dir);
    atexit(cleanup);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!case_dir[0])
        setup();
    return 0;
}

/* Every tag of the report: outside text is escaped, so each '<' in the
 * file starts a tag the report wrote.  None may be a script, have an on...
 * attribute, or link or embed a javascript: URL; attribute values are read
 * quote to quote, so outside text inside them is not mistaken for markup. */
static void check_html(void)
{
    FILE *f = fopen(out_path, "rb");
    FUZZ_ASSERT(f != NULL, "report.html not written");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    FUZZ_ASSERT(s && fread(s, 1, (size_t)n, f) == (size_t)n, "cannot read report.html");
    s[n] = '\0';
    fclose(f);
    for (char *c = s; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    for (char *c = strchr(s, '<'); c; c = strchr(c, '<')) {
        c++;
        if (*c == '!' || *c == '/')
            continue; /* doctype, comment, end tag */
        size_t tn = strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789");
        FUZZ_ASSERT(!(tn == 6 && strncmp(c, "script", 6) == 0), "report.html holds a <script>");
        c += tn;
        for (;;) {
            c += strspn(c, " \t\r\n/");
            if (!*c || *c == '>')
                break;
            size_t an = strcspn(c, " \t\r\n=>/");
            FUZZ_ASSERT(!(an > 2 && c[0] == 'o' && c[1] == 'n'), "report.html: attribute %.*s", (int)an, c);
            int url = (an == 4 && strncmp(c, "href", 4) == 0) || (an == 3 && strncmp(c, "src", 3) == 0);
            c += an;
            if (*c != '=')
                continue;
            c++;
            char q = *c == '"' || *c == '\'' ? *c++ : 0;
            const char *v = c;
            c = q ? strchr(c, q) : c + strcspn(c, " \t\r\n>");
            FUZZ_ASSERT(c != NULL, "report.html: an attribute value without its closing quote");
            if (url)
                FUZZ_ASSERT(strncmp(v + strspn(v, " \t\r\n"), "javascript:", 11) != 0,
                            "report.html links a javascript: URL");
            if (q)
                c++;
        }
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!case_dir[0])
        setup();
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!j)
        return 0;
    dx_error e = {0};
    unlink(out_path);
    dx_status st = dx_report_html(case_dir, j, out_path, &e);
    if (!json_is_object(j)) {
        FUZZ_ASSERT(st == DX_ERR_INVALID_ARG && e.message[0], "a non-object gave status %d", (int)st);
    } else {
        FUZZ_ASSERT(st == DX_OK || st == DX_ERR_IO || st == DX_ERR_NO_MEMORY,
                    "status %d (%s)", (int)st, e.message);
        if (st == DX_OK)
            check_html();
    }
    json_decref(j);
    return 0;
}
