/* Helpers for the chip known-answer tests (see kat.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kat.h"

json_t *kat_load(const char *dir, const char *name)
{
    char path[4096];
    json_error_t jerr;
    json_t *j;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    j = json_load_file(path, 0, &jerr);
    if (!j) {
        fprintf(stderr, "cannot load %s: %s (line %d)\n", path, jerr.text, jerr.line);
        exit(2);
    }
    return j;
}

const char *kat_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s) {
        fprintf(stderr, "vector has no string \"%s\"\n", key);
        exit(2);
    }
    return s;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)toupper((unsigned char)c);
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t kat_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p == ' ' || *p == '\n')
            continue;
        v = nibble(*p);
        if (v < 0 || (hi < 0 && n == cap)) {
            fprintf(stderr, "bad or too long hex: %.60s\n", hex);
            exit(2);
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        fprintf(stderr, "odd number of hex digits: %.60s\n", hex);
        exit(2);
    }
    return n;
}

size_t kat_bytes(json_t *obj, const char *key, uint8_t *out, size_t cap)
{
    return kat_hex(kat_str(obj, key), out, cap);
}

const char *kat_tohex(const uint8_t *p, size_t n)
{
    static char bufs[4][2 * 1200 + 1];
    static int which;
    char *b = bufs[which++ & 3];
    size_t i;
    for (i = 0; i < n && i < 1200; i++)
        snprintf(b + 2 * i, 3, "%02X", p[i]);
    b[2 * i] = '\0';
    return b;
}

void kat_script_init(kat_script *s)
{
    memset(s, 0, sizeof *s);
}

void kat_script_add(kat_script *s, const char *what, const char *cmd_hex, const char *rsp_hex)
{
    if (s->n == KAT_SCRIPT_MAX) {
        fprintf(stderr, "script too long\n");
        exit(2);
    }
    snprintf(s->step[s->n].what, sizeof s->step[s->n].what, "%s", what);
    s->step[s->n].any = cmd_hex == NULL;
    s->step[s->n].cmd_len = cmd_hex ? kat_hex(cmd_hex, s->step[s->n].cmd,
                                              sizeof s->step[s->n].cmd) : 0;
    s->step[s->n].rsp_len = kat_hex(rsp_hex, s->step[s->n].rsp, sizeof s->step[s->n].rsp);
    s->n++;
}

dx_status kat_script_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                              size_t *rsp_len)
{
    kat_script *s = ctx;
    if (s->pos >= s->n) {
        s->mismatches++;
        fprintf(stderr, "script: unexpected command after the script: %s\n", kat_tohex(cmd, n));
        return DX_ERR_IO;
    }
    if (!s->step[s->pos].any &&
        (n != s->step[s->pos].cmd_len || memcmp(cmd, s->step[s->pos].cmd, n) != 0)) {
        s->mismatches++;
        fprintf(stderr, "script: %s: command differs:\n  got  %s\n  want %s\n",
                s->step[s->pos].what, kat_tohex(cmd, n),
                kat_tohex(s->step[s->pos].cmd, s->step[s->pos].cmd_len));
        s->pos++;
        return DX_ERR_IO;
    }
    if (s->step[s->pos].rsp_len > cap) {
        s->mismatches++;
        fprintf(stderr, "script: %s: response buffer of %zu bytes too small\n",
                s->step[s->pos].what, cap);
        return DX_ERR_INVALID_ARG;
    }
    memcpy(rsp, s->step[s->pos].rsp, s->step[s->pos].rsp_len);
    *rsp_len = s->step[s->pos].rsp_len;
    s->pos++;
    return DX_OK;
}

dx_apdu_transport kat_script_transport(kat_script *s)
{
    return (dx_apdu_transport){.transmit = kat_script_transmit, .ctx = s};
}
