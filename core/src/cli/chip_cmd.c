/* docex chip read|verify — reading and verifying ePassport chips. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "docex/chip.h"

static const char chip_help[] =
    "usage: docex chip read --device ID (--mrz LINES | --doc N --birth YYMMDD --expiry YYMMDD |\n"
    "                       --can N) [--trust DIR] [--out DIR] [--json] [--no-pace] [--no-aa]\n"
    "                       [--extended auto|on|off] [--timeout S] [--at YYYY-MM-DD]\n"
    "                       [--settings NAME=VALUE,...]\n"
    "       docex chip verify DIR [--trust DIR] [--json] [--at YYYY-MM-DD]\n"
    "\n"
    "read: waits for a card in the reader, opens it with PACE when the chip offers\n"
    "it (else BAC) using the MRZ data or the CAN, reads EF.COM, EF.SOD and every data\n"
    "group it may, runs Active Authentication (DG15), and verifies: DG1 through the\n"
    "MRZ parser, passive authentication (SOD signature, Document Signer chain to a\n"
    "CSCA of --trust: certificates, ICAO master lists, CRLs; every DG hash) and the\n"
    "AA signature.  --out DIR keeps each file raw (EF.COM, EF.DG1, ...), aa.json and\n"
    "chip.json (share/schemas/chip_read.schema.json).\n"
    "verify: runs the verification again offline on a directory of EF.* files.\n"
    "  --mrz LINES   the printed MRZ: one --mrz per line, or the lines in one value\n"
    "                (separated by newlines, or run together: 88, 72 or 90 characters)\n"
    "  --can N       the card access number (PACE only)\n"
    "  --trust DIR   CSCA certificates, master lists (*.ml) and CRLs; without it the\n"
    "                Document Signer's chain is not checked (and verification fails)\n"
    "  --at DATE     check certificate validity at this date (default: now)\n"
    "  --timeout S   seconds to wait for the card (default 10)\n"
    "  --settings S  reader options (see docex devices --json)\n"
    "Exit status: 0 read and everything verified, 1 read but a verification failed,\n"
    "2 an error: no reader, no card, wrong access key, card removed, bad options.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static bool parse_date(const char *s, int64_t *out)
{
    int y, m, d;
    char extra;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    *out = (int64_t)timegm(&tm);
    return true;
}

static int finish(dx_chip_result *r, const char *trust, int64_t at, bool json, const char *out,
                  const char *cmd)
{
    dx_error err = {0};
    if (dx_chip_verify(r, trust, at, &err) != DX_OK) {
        dx_cli_error(cmd, "%s", err.message);
        return DX_EXIT_ERROR;
    }
    if (out && dx_chip_result_write(r, out, &err) != DX_OK) {
        dx_cli_error(cmd, "%s", err.message);
        return DX_EXIT_ERROR;
    }
    if (json) {
        char *text = dx_chip_result_to_json(r);
        if (text)
            puts(text);
        free(text);
    } else {
        dx_chip_result_print(r, stdout);
        printf("%s\n", dx_chip_result_verified(r) ? "verified: yes" : "verified: NO");
        if (out)
            printf("files: %s/chip.json\n", out);
    }
    return dx_chip_result_verified(r) ? DX_EXIT_OK : DX_EXIT_FAILED;
}

static int cmd_read(const dx_cli_globals *g, int argc, char **argv)
{
    const char *device = NULL, *trust = NULL, *out = NULL, *doc = NULL, *birth = NULL,
               *expiry = NULL, *can = NULL, *settings = NULL;
    char mrz_buf[3][64];
    const char *mrz[3];
    size_t n_mrz = 0;
    bool json = false;
    int64_t at = 0;
    dx_chip_read_options o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) { json = true; continue; }
        if (!strcmp(a, "--no-pace")) { o.no_pace = true; continue; }
        if (!strcmp(a, "--no-aa")) { o.no_aa = true; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(chip_help, stdout); return DX_EXIT_OK; }
        if (!v) {
            dx_cli_error("chip read", "%s: missing value (see docex chip --help)", a);
            return DX_EXIT_ERROR;
        }
        i++;
        if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--trust")) trust = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--doc")) doc = v;
        else if (!strcmp(a, "--birth")) birth = v;
        else if (!strcmp(a, "--expiry")) expiry = v;
        else if (!strcmp(a, "--can")) can = v;
        else if (!strcmp(a, "--settings")) settings = v;
        else if (!strcmp(a, "--at")) {
            if (!parse_date(v, &at)) {
                dx_cli_error("chip read", "--at %s: expected YYYY-MM-DD", v);
                return DX_EXIT_ERROR;
            }
        } else if (!strcmp(a, "--timeout")) {
            char *end;
            double s = strtod(v, &end);
            if (*end || !(s >= 0 && s <= 3600)) {
                dx_cli_error("chip read", "--timeout %s: expected seconds 0..3600", v);
                return DX_EXIT_ERROR;
            }
            o.card_timeout_ms = s == 0 ? 1 : (int32_t)(s * 1000);
        } else if (!strcmp(a, "--extended")) {
            if (!strcmp(v, "auto")) o.extended = DX_CHIP_EXTENDED_AUTO;
            else if (!strcmp(v, "on")) o.extended = DX_CHIP_EXTENDED_ON;
            else if (!strcmp(v, "off")) o.extended = DX_CHIP_EXTENDED_OFF;
            else {
                dx_cli_error("chip read", "--extended %s: expected auto, on or off", v);
                return DX_EXIT_ERROR;
            }
        } else if (!strcmp(a, "--mrz")) {
            /* lines: one per --mrz, or several in one value */
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s", v);
            size_t len = strlen(tmp);
            if (!strchr(tmp, '\n') && (len == 88 || len == 72 || len == 90)) {
                size_t per = len == 90 ? 30 : len / 2;
                for (size_t k = 0; k < len / per && n_mrz < 3; k++) {
                    snprintf(mrz_buf[n_mrz], sizeof mrz_buf[n_mrz], "%.*s", (int)per, tmp + k * per);
                    mrz[n_mrz] = mrz_buf[n_mrz];
                    n_mrz++;
                }
            } else {
                for (char *save = NULL, *t = strtok_r(tmp, "\n", &save); t;
                     t = strtok_r(NULL, "\n", &save)) {
                    if (n_mrz == 3) {
                        dx_cli_error("chip read", "--mrz: more than 3 lines");
                        return DX_EXIT_ERROR;
                    }
                    snprintf(mrz_buf[n_mrz], sizeof mrz_buf[n_mrz], "%s", t);
                    mrz[n_mrz] = mrz_buf[n_mrz];
                    n_mrz++;
                }
            }
        } else {
            dx_cli_error("chip read", "unknown option %s (see docex chip --help)", a);
            return DX_EXIT_ERROR;
        }
    }
    if (!device) {
        dx_cli_error("chip read", "--device is required (see docex devices)");
        return DX_EXIT_ERROR;
    }
    int keys = (n_mrz > 0) + (doc || birth || expiry) + (can != NULL);
    if (keys != 1) {
        dx_cli_error("chip read", "give exactly one access key: --mrz, or --doc with --birth and "
                                  "--expiry, or --can");
        return DX_EXIT_ERROR;
    }
    if (can && o.no_pace) {
        dx_cli_error("chip read", "--can opens the chip with PACE only: it does not go with --no-pace");
        return DX_EXIT_ERROR;
    }
    dx_chip_access access = {0};
    dx_error err = {0};
    if (n_mrz) {
        if (dx_chip_access_from_mrz(mrz, n_mrz, &access, &err) != DX_OK) {
            dx_cli_error("chip read", "--mrz: %s", err.message);
            return DX_EXIT_ERROR;
        }
    } else if (can) {
        if (strlen(can) < 1 || strlen(can) > 12 || strspn(can, "0123456789") != strlen(can)) {
            dx_cli_error("chip read", "--can %s: expected digits", can);
            return DX_EXIT_ERROR;
        }
        access.use_can = true;
        snprintf(access.can, sizeof access.can, "%s", can);
    } else {
        if (!doc || !birth || !expiry || strlen(birth) != 6 || strlen(expiry) != 6 ||
            strspn(birth, "0123456789") != 6 || strspn(expiry, "0123456789") != 6 ||
            strlen(doc) >= sizeof access.document_number) {
            dx_cli_error("chip read", "--doc N --birth YYMMDD --expiry YYMMDD go together");
            return DX_EXIT_ERROR;
        }
        snprintf(access.document_number, sizeof access.document_number, "%s", doc);
        memcpy(access.birth_date, birth, 7);
        memcpy(access.expiry_date, expiry, 7);
    }
    o.access = &access;
    o.printed_mrz = mrz;
    o.n_printed_mrz = n_mrz;
    o.interrupt = &interrupted;
    dx_host *host = dx_cli_host(g);
    if (!host)
        return DX_EXIT_ERROR;
    dx_device *dev = NULL;
    if (dx_device_open(host, device, &dev, &err) != DX_OK) {
        dx_cli_error("chip read", "%s", err.message);
        return DX_EXIT_ERROR;
    }
    if (!dx_device_is_chip_reader(dev)) {
        dx_cli_error("chip read", "%s is not a chip reader (see docex devices)", device);
        dx_device_free(dev);
        return DX_EXIT_ERROR;
    }
    if (settings && dx_device_set_options(dev, settings, &err) != DX_OK) {
        dx_cli_error("chip read", "--settings: %s", err.message);
        dx_device_free(dev);
        return DX_EXIT_ERROR;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    dx_chip_result *r = NULL;
    dx_status st = dx_chip_read(dev, &o, &r, &err);
    dx_device_free(dev);
    if (st != DX_OK) {
        const char *why = st == DX_ERR_NO_CARD        ? "no card in the reader's field"
                          : st == DX_ERR_ACCESS_DENIED ? "wrong access key"
                          : st == DX_ERR_CARD_REMOVED  ? "the card was removed"
                          : st == DX_ERR_DISCONNECTED  ? "the reader is gone"
                          : st == DX_ERR_CANCELLED     ? "interrupted"
                                                       : dx_status_str(st);
        dx_cli_error("chip read", "%s: %s", why, err.message);
        if (r && out) { /* keep what was read */
            dx_error e2 = {0};
            if (dx_chip_result_write(r, out, &e2) == DX_OK)
                fprintf(stderr, "docex chip read: the files read before that are in %s\n", out);
        }
        dx_chip_result_free(r);
        return DX_EXIT_ERROR;
    }
    int rc = finish(r, trust, at, json, out, "chip read");
    dx_chip_result_free(r);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    const char *dir = NULL, *trust = NULL;
    bool json = false;
    int64_t at = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(chip_help, stdout); return DX_EXIT_OK; }
        else if (!strcmp(a, "--trust") && v) { trust = v; i++; }
        else if (!strcmp(a, "--at") && v) {
            if (!parse_date(v, &at)) {
                dx_cli_error("chip verify", "--at %s: expected YYYY-MM-DD", v);
                return DX_EXIT_ERROR;
            }
            i++;
        } else if (a[0] == '-') {
            dx_cli_error("chip verify", "unknown option %s (see docex chip --help)", a);
            return DX_EXIT_ERROR;
        } else if (!dir) dir = a;
        else {
            dx_cli_error("chip verify", "one directory only");
            return DX_EXIT_ERROR;
        }
    }
    if (!dir) {
        dx_cli_error("chip verify", "which directory? (see docex chip --help)");
        return DX_EXIT_ERROR;
    }
    dx_chip_result *r = NULL;
    dx_error err = {0};
    if (dx_chip_result_load(dir, &r, &err) != DX_OK) {
        dx_cli_error("chip verify", "%s", err.message);
        return DX_EXIT_ERROR;
    }
    int rc = finish(r, trust, at, json, NULL, "chip verify");
    dx_chip_result_free(r);
    return rc;
}

int dx_cmd_chip(const dx_cli_globals *g, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(chip_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? DX_EXIT_ERROR : DX_EXIT_OK;
    }
    if (!strcmp(argv[1], "read"))
        return cmd_read(g, argc - 1, argv + 1);
    if (!strcmp(argv[1], "verify"))
        return cmd_verify(argc - 1, argv + 1);
    dx_cli_error("chip", "unknown subcommand \"%s\" (read or verify)", argv[1]);
    return DX_EXIT_ERROR;
}
