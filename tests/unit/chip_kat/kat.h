/* Helpers for the chip known-answer tests: vectors from JSON, hex, and a
 * scripted transport that checks each command byte for byte and answers
 * with the recorded response. */
#ifndef DOCEX_TEST_CHIP_KAT_H
#define DOCEX_TEST_CHIP_KAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"
#include "icao/apdu.h"

/* Load DIR/NAME (DIR is argv[1] of the test); exits on failure. */
json_t *kat_load(const char *dir, const char *name);
/* The hex string at key (a "/"-free key of obj); exits when absent. */
const char *kat_str(json_t *obj, const char *key);
/* Decode hex (spaces allowed) into out (cap bytes); returns the length,
 * exits on bad hex. */
size_t kat_hex(const char *hex, uint8_t *out, size_t cap);
/* Decode the hex string at key into out; returns the length. */
size_t kat_bytes(json_t *obj, const char *key, uint8_t *out, size_t cap);
/* Upper-case hex of n bytes into a static buffer (one of 4 rotating). */
const char *kat_tohex(const uint8_t *p, size_t n);

/* CHECK that n bytes at p equal the hex string. */
#define CHECK_HEX(p, n, hex)                                                              \
    do {                                                                                  \
        uint8_t want_[1024];                                                              \
        size_t wn_ = kat_hex((hex), want_, sizeof want_);                                 \
        CHECK_MSG(wn_ == (size_t)(n) && memcmp((p), want_, wn_) == 0, "%s:\n  got  %s\n  want %s", \
                  #p, kat_tohex((p), (n)), (hex));                                        \
    } while (0)

/* A scripted exchange: commands expected in order and their answers. */
#define KAT_SCRIPT_MAX 32
typedef struct kat_script {
    struct {
        uint8_t cmd[600], rsp[600];
        size_t cmd_len, rsp_len;
        char what[64];
        int any;                /* any command will do */
    } step[KAT_SCRIPT_MAX];
    size_t n, pos;
    int mismatches;
} kat_script;

void kat_script_init(kat_script *s);
/* cmd_hex NULL: accept any command for this step. */
void kat_script_add(kat_script *s, const char *what, const char *cmd_hex, const char *rsp_hex);
/* The transport: checks the command (a mismatch is printed, counted in
 * `mismatches` and answered with DX_ERR_IO), copies the answer. */
dx_status kat_script_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                              size_t *rsp_len);
dx_apdu_transport kat_script_transport(kat_script *s);

#endif
