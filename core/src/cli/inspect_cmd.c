/* docex inspect — one command from a document (or a capture set) to a
 * verdict with its evidence. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "inspect/inspect.h"

static const char inspect_help[] =
    "usage: docex inspect (--device ID [--chip DEVICE] [--sides auto|front] |\n"
    "                      --from DIR [--chip DEVICE])\n"
    "                     [--specimen ID|auto] --out CASE [--json] [options]\n"
    "\n"
    "Inspect a document: capture it under every light its specimen needs (--device)\n"
    "or take the captures of a capture set, synth scene or earlier case (--from),\n"
    "read the MRZ, read the chip (--chip; opened with the MRZ) or verify the chip\n"
    "files DIR/chip holds, identify the specimen, run the rule sets, and write the\n"
    "case directory CASE (new or empty): capture/, chip/, evidence/, findings.json\n"
    "(share/schemas/findings.schema.json), report.html and report.pdf.\n"
    "\n"
    "A two-sided document on the glass (an ID card, its MRZ on the back) is\n"
    "captured side by side: after the front, when the specimen has two sides or\n"
    "the front shows no MRZ, docex asks for the document to be turned over (on a\n"
    "terminal: press Enter, or q and Enter to inspect the front only) and\n"
    "captures the back into CASE/capture/<side>/.\n"
    "\n"
    "  --device ID        the scanner (docex devices)\n"
    "  --settings K=V,..  the scanner's options\n"
    "  --sides auto|front auto (default): the back too when the document has one;\n"
    "                     front: the front only, never ask to turn it over\n"
    "  --from DIR         capture.json / scene.json directory (a second side in DIR/back)\n"
    "  --chip DEVICE      the chip reader (sim:chip0, pcsc:...)\n"
    "  --specimen ID|auto the specimen (default auto: identified from the MRZ)\n"
    "  --out CASE         the case directory\n"
    "  --json             print findings.json instead of the summary\n"
    "  --today YYYY-MM-DD judge expiry and certificates at this date (default today)\n"
    "  --trust DIR        CSCAs, master lists, CRLs (default: the TEST ONLY Utopia PKI)\n"
    "  --specimens DIR    specimen directory (default: the installed specimens)\n"
    "  --rules DIR        rule sets (default: the installed scripts/rules)\n"
    "  --dpi N            measure at N dpi (default 300)\n"
    "  --card-timeout S   wait S seconds for the card (default 10)\n"
    "  --no-reports       findings.json only\n"
    "\n"
    "Exit status: 0 no mandatory check failed, 1 a mandatory check failed, 2 error.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void on_progress(const char *stage, const char *message, void *user)
{
    if (!*(const bool *)user)
        fprintf(stderr, "%-12s %s\n", stage, message);
}

/* Between the two sides: on a terminal, ask the operator to turn the document
 * over and wait for Enter (q and Enter, end of input or an interrupt: stop at
 * one side); otherwise say that the document must have been turned over. */
static int on_turn_over(const char *side, void *user)
{
    char line[64];
    if (!isatty(STDIN_FILENO)) {
        if (!*(const bool *)user)
            fprintf(stderr, "%-12s capturing side %s: the document must have been turned over\n",
                    "capture", side);
        return 0;
    }
    fprintf(stderr, "Turn the document over on the glass (side %s), then press Enter "
                    "(or q and Enter to inspect one side only) ", side);
    fflush(stderr);
    for (;;) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        if (interrupted) {
            fputc('\n', stderr);
            return 1;
        }
        /* poll wakes on a signal (never restarted): Ctrl-C stops the wait */
        int n = poll(&p, 1, 250);
        if (n < 0 || (n > 0 && !(p.revents & POLLIN)))
            return 1;
        if (n > 0)
            break;
    }
    if (!fgets(line, sizeof line, stdin))
        return 1;
    return line[0] == 'q' || line[0] == 'Q';
}

static bool parse_date(const char *s, int32_t *out)
{
    int y, m, d;
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1900 || y > 2999 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return false;
    *out = y * 10000 + m * 100 + d;
    return true;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void print_value(FILE *f, json_t *v)
{
    if (json_is_number(v))
        fprintf(f, "%.4g", json_number_value(v));
    else if (json_is_string(v))
        fputs(json_string_value(v), f);
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "true" : "false", f);
    else
        fputs("-", f);
}

static void print_summary(const dx_inspect_result *r)
{
    json_t *root = r->findings, *doc = json_object_get(root, "document");
    json_t *spec = json_object_get(doc, "specimen"), *groups = json_object_get(root, "groups");
    json_t *arr = json_object_get(root, "findings"), *f;
    size_t i, counts[5] = {0};
    const char *names[5] = {"passed", "failed", "undetermined", "aborted", "not_supported"};
    printf("verdict: %s%s\n", dx_rules_result_str(r->verdict),
           r->mandatory_failed ? " (a mandatory check failed)" : "");
    printf("document: %s\n", r->generic ? "unknown" : r->specimen_id);
    printf("          %s\n", str(spec, "message"));
    printf("groups:   mrz %s, optical %s, chip %s, cross %s\n", str(groups, "mrz"),
           str(groups, "optical"), str(groups, "chip"), str(groups, "cross"));
    size_t n_eval = 0;
    json_array_foreach(arr, i, f) {
        const char *res = str(f, "result");
        if (strcmp(str(f, "mode"), "evaluatory") == 0)
            n_eval++;
        else
            for (int k = 0; k < 5; k++)
                if (strcmp(res, names[k]) == 0)
                    counts[k]++;
        if ((strcmp(res, "failed") != 0 && strcmp(res, "aborted") != 0 &&
             strcmp(res, "undetermined") != 0) ||
            strcmp(str(f, "mode"), "evaluatory") == 0)
            continue;
        json_t *n = json_object_get(f, "notation"), *ex = json_object_get(f, "expected");
        json_t *reg = json_object_get(f, "region");
        printf("  %-12s %s (%s, %s, %s) %s: ", res, str(f, "id"), str(n, "light"), str(n, "property"),
               str(n, "feature"), str(f, "mode"));
        print_value(stdout, json_object_get(f, "value"));
        if (json_is_object(ex)) {
            printf(", expected ");
            if (json_object_get(ex, "min")) {
                printf(">= ");
                print_value(stdout, json_object_get(ex, "min"));
            }
            if (json_object_get(ex, "max")) {
                printf("%s<= ", json_object_get(ex, "min") ? " and " : "");
                print_value(stdout, json_object_get(ex, "max"));
            }
        } else if (json_is_string(ex)) {
            printf(", expected %s", json_string_value(ex));
        }
        printf(": %s", str(f, "message"));
        if (reg)
            printf(" [%s, %s, (%.1f, %.1f, %.1f x %.1f) mm%s%s]", str(reg, "side"),
                   json_is_string(json_object_get(reg, "feature")) ? str(reg, "feature") : "rectangle",
                   json_number_value(json_object_get(reg, "x")), json_number_value(json_object_get(reg, "y")),
                   json_number_value(json_object_get(reg, "w")), json_number_value(json_object_get(reg, "h")),
                   json_object_get(f, "light") ? " under " : "", str(f, "light"));
        printf("\n");
    }
    json_array_foreach(arr, i, f) if (strcmp(str(f, "mode"), "evaluatory") == 0 &&
                                      strcmp(str(f, "result"), "passed") != 0)
        printf("  note         %s (evaluatory, not counted): %s\n", str(f, "id"), str(f, "message"));
    printf("checks:   %zu passed, %zu failed, %zu undetermined, %zu aborted, %zu not supported"
           " (and %zu evaluatory)\n",
           counts[0], counts[1], counts[2], counts[3], counts[4], n_eval);
    printf("findings: %s\n", r->findings_path);
    if (r->report_html[0] || r->report_pdf[0])
        printf("reports:  %s%s%s\n", r->report_html, r->report_html[0] && r->report_pdf[0] ? ", " : "",
               r->report_pdf);
}

int dx_cmd_inspect(const dx_cli_globals *g, int argc, char **argv)
{
    dx_inspect_options o;
    dx_inspect_result r;
    dx_error err = {0};
    bool json = false, sides_given = false;
    dx_host *host = NULL;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(inspect_help, stdout);
            return DX_EXIT_OK;
        }
        if (!strcmp(a, "--json")) { json = true; continue; }
        if (!strcmp(a, "--no-reports")) { o.no_reports = true; continue; }
        if (!v || strncmp(a, "--", 2) != 0) {
            dx_cli_error("inspect", "%s: %s (see docex inspect --help)", a,
                         strncmp(a, "--", 2) ? "unexpected argument" : "needs a value");
            return DX_EXIT_ERROR;
        }
        i++;
        if (!strcmp(a, "--device")) o.device = v;
        else if (!strcmp(a, "--settings")) o.device_settings = v;
        else if (!strcmp(a, "--sides")) {
            if (!strcmp(v, "auto"))
                o.sides = DX_INSPECT_SIDES_AUTO;
            else if (!strcmp(v, "front"))
                o.sides = DX_INSPECT_SIDES_FRONT;
            else {
                dx_cli_error("inspect", "--sides %s: expected auto or front", v);
                return DX_EXIT_ERROR;
            }
            sides_given = true;
        }
        else if (!strcmp(a, "--from")) o.from_dir = v;
        else if (!strcmp(a, "--chip")) o.chip_device = v;
        else if (!strcmp(a, "--specimen")) o.specimen = v;
        else if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--trust")) o.trust_dir = v;
        else if (!strcmp(a, "--specimens")) o.specimens_dir = v;
        else if (!strcmp(a, "--rules")) o.rules_dir = v;
        else if (!strcmp(a, "--today")) {
            if (!parse_date(v, &o.today)) {
                dx_cli_error("inspect", "--today %s: expected YYYY-MM-DD", v);
                return DX_EXIT_ERROR;
            }
        } else if (!strcmp(a, "--dpi")) {
            char *end;
            o.measure_dpi = strtod(v, &end);
            if (*end || !(o.measure_dpi >= 100 && o.measure_dpi <= 1200)) {
                dx_cli_error("inspect", "--dpi %s: expected 100..1200", v);
                return DX_EXIT_ERROR;
            }
        } else if (!strcmp(a, "--card-timeout")) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end || s < 1 || s > 3600) {
                dx_cli_error("inspect", "--card-timeout %s: expected 1..3600 seconds", v);
                return DX_EXIT_ERROR;
            }
            o.card_timeout_ms = (int32_t)(s * 1000);
        } else {
            dx_cli_error("inspect", "%s: unknown option (see docex inspect --help)", a);
            return DX_EXIT_ERROR;
        }
    }
    if (!o.out_dir || (!o.device == !o.from_dir)) {
        dx_cli_error("inspect", "give --out CASE and one of --device ID or --from DIR (see docex "
                                "inspect --help)");
        return DX_EXIT_ERROR;
    }
    if (o.device_settings && !o.device) {
        dx_cli_error("inspect", "--settings goes with --device");
        return DX_EXIT_ERROR;
    }
    if (sides_given && !o.device) {
        dx_cli_error("inspect", "--sides goes with --device (--from DIR takes the sides DIR holds)");
        return DX_EXIT_ERROR;
    }
    if (o.device || o.chip_device) {
        if (!(host = dx_cli_host(g)))
            return DX_EXIT_ERROR;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.interrupt = &interrupted;
    o.progress = on_progress;
    o.progress_user = &json;
    o.turn_over = on_turn_over;
    o.turn_over_user = &json;
    if (dx_inspect_run(host, &o, &r, &err) != DX_OK) {
        char cap[4200];
        struct stat sb;
        dx_cli_error("inspect", "%s", err.message);
        snprintf(cap, sizeof cap, "%s/capture", o.out_dir);
        if (stat(cap, &sb) == 0)
            fprintf(stderr, "docex inspect: what was captured so far is in %s\n", o.out_dir);
        return DX_EXIT_ERROR;
    }
    if (json) {
        char *text = json_dumps(r.findings, JSON_INDENT(2));
        if (text) {
            puts(text);
            free(text);
        }
    } else {
        print_summary(&r);
    }
    int rc = r.mandatory_failed ? DX_EXIT_FAILED : DX_EXIT_OK;
    dx_inspect_result_clear(&r);
    return rc;
}
