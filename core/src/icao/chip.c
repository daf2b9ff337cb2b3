/* docex — reading an ePassport chip: access control, files, Active
 * Authentication's exchange (ICAO 9303 Part 11 §4, §6.1; Part 10 §3-4).
 * Verification of what was read is in chip_verify.c. */
#include "icao/chip_internal.h"
#include "host/host_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "icao/bac.h"
#include "icao/pace.h"
#include "icao/tlv.h"

double dx_chip_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- the access key ---------------------------------------------------------- */

static void copy_field(char *dst, size_t size, const char *src, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        if (src[i] != '<')
            dst[k++] = src[i];
    dst[k] = '\0';
}

dx_status dx_chip_access_from_mrz(const char *const *lines, size_t n_lines, dx_chip_access *out,
                                  dx_error *err)
{
    dx_mrz m;
    dx_status st;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "no access key output");
    memset(out, 0, sizeof *out);
    if ((st = dx_mrz_parse(lines, n_lines, NULL, &m, err)) != DX_OK)
        return st;
    /* the raw fields, as the chip's keys were made from them (9303 Part 11
     * §9.7.2): a check digit that fails is still the chip's */
    const char *l2 = m.lines[1];
    switch (m.format) {
    case DX_MRZ_TD1:
        dx_strlcpy(out->document_number, m.document_number, sizeof out->document_number);
        memcpy(out->birth_date, l2, 6);
        memcpy(out->expiry_date, l2 + 8, 6);
        break;
    case DX_MRZ_TD2: /* line 2 has the same positions in the 36 and 44 formats */
    case DX_MRZ_MRVB:
    case DX_MRZ_TD3:
    case DX_MRZ_MRVA:
        copy_field(out->document_number, sizeof out->document_number, l2, 9);
        memcpy(out->birth_date, l2 + 13, 6);
        memcpy(out->expiry_date, l2 + 21, 6);
        break;
    default:
        return dx_error_set(err, DX_ERR_DATA, "MRZ: unknown format");
    }
    if (!out->document_number[0])
        return dx_error_set(err, DX_ERR_DATA, "MRZ: no document number");
    return DX_OK;
}

/* ---- the transport: the device, counted ------------------------------------- */

typedef struct xport {
    dx_device *dev;
    dx_chip_result *r;
    const volatile sig_atomic_t *interrupt;
    unsigned apdus_before;
    char error[sizeof(((dx_error *)0)->message)]; /* the device's word on the last failure */
} xport;

static dx_status xmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                      size_t *rsp_len)
{
    xport *x = ctx;
    dx_error e = {0};
    x->error[0] = '\0';
    if (x->interrupt && *x->interrupt)
        return DX_ERR_CANCELLED;
    dx_status st = dx_device_transmit(x->dev, cmd, n, rsp, cap, rsp_len, &e);
    x->r->apdus++;
    x->r->bytes_sent += n;
    if (st == DX_OK)
        x->r->bytes_received += *rsp_len;
    else
        dx_strlcpy(x->error, e.message, sizeof x->error);
    return st;
}

static const char *xmit_why(void *ctx)
{
    return ((const xport *)ctx)->error;
}

/* ---- files ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    uint16_t fid;
    int dg;
} file_table[] = {
    {"EF.CardAccess", DX_EF_CARDACCESS, 0}, {"EF.COM", DX_EF_COM, 0}, {"EF.SOD", DX_EF_SOD, 0},
    {"EF.DG1", 0x0101, 1},   {"EF.DG2", 0x0102, 2},   {"EF.DG3", 0x0103, 3},
    {"EF.DG4", 0x0104, 4},   {"EF.DG5", 0x0105, 5},   {"EF.DG6", 0x0106, 6},
    {"EF.DG7", 0x0107, 7},   {"EF.DG8", 0x0108, 8},   {"EF.DG9", 0x0109, 9},
    {"EF.DG10", 0x010A, 10}, {"EF.DG11", 0x010B, 11}, {"EF.DG12", 0x010C, 12},
    {"EF.DG13", 0x010D, 13}, {"EF.DG14", 0x010E, 14}, {"EF.DG15", 0x010F, 15},
    {"EF.DG16", 0x0110, 16},
};

const char *dx_chip_file_name(uint16_t fid)
{
    for (size_t i = 0; i < sizeof file_table / sizeof file_table[0]; i++)
        if (file_table[i].fid == fid)
            return file_table[i].name;
    return NULL;
}

dx_chip_file *dx_chip_result_add(dx_chip_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (strcmp(r->files[i].name, name) == 0)
            return &r->files[i];
    if (r->n_files == DX_CHIP_MAX_FILES)
        return NULL;
    dx_chip_file *f = &r->files[r->n_files++];
    memset(f, 0, sizeof *f);
    dx_strlcpy(f->name, name, sizeof f->name);
    for (size_t i = 0; i < sizeof file_table / sizeof file_table[0]; i++)
        if (strcmp(file_table[i].name, name) == 0) {
            f->fid = file_table[i].fid;
            f->dg = file_table[i].dg;
        }
    f->status = DX_ERR_NOT_FOUND;
    return f;
}

/* DG tags of EF.COM's tag list (5C) -> DG numbers (9303 Part 10 §4.6.1) */
static int dg_of_tag(uint8_t tag)
{
    static const uint8_t tags[17] = {0, 0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69,
                                     0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70};
    for (int i = 1; i <= 16; i++)
        if (tags[i] == tag)
            return i;
    return 0;
}

static size_t com_dgs(const dx_chip_file *com, int *dgs, size_t cap, dx_error *err)
{
    dx_tlv outer, list;
    size_t n = 0;
    if (dx_tlv_parse_single(com->data, com->len, 0x60, &outer, "EF.COM", err) != DX_OK ||
        dx_tlv_find(outer.value, outer.len, 0x5C, &list, "EF.COM", err) != DX_OK)
        return 0;
    for (size_t i = 0; i < list.len && n < cap; i++) {
        int dg = dg_of_tag(list.value[i]);
        if (dg)
            dgs[n++] = dg;
    }
    return n;
}

typedef struct session {
    xport x;
    dx_chip_channel ch;
    dx_sm_session *sm;
} session;

/* Select and read one file into the result. */
static dx_status read_into(session *s, dx_chip_result *r, uint16_t fid, size_t max,
                           dx_error *err)
{
    const char *name = dx_chip_file_name(fid);
    dx_chip_file *f = dx_chip_result_add(r, name ? name : "EF.?");
    if (!f)
        return dx_error_set(err, DX_ERR_INTERNAL, "too many files");
    unsigned before = r->apdus;
    double t = dx_chip_now_ms();
    dx_error e = {0};
    uint8_t *data = NULL;
    size_t len = 0;
    dx_status st = dx_chip_read_file(&s->ch, fid, max, &data, &len, &e);
    f->ms = dx_chip_now_ms() - t;
    f->apdus = r->apdus - before;
    f->status = st;
    if (st == DX_OK) {
        free(f->data);
        f->data = data;
        f->len = len;
        f->error[0] = '\0';
        dx_sha256_hex(data, len, f->sha256);
    } else {
        dx_strlcpy(f->error, e.message, sizeof f->error);
        if (err)
            *err = e;
    }
    return st;
}

/* ---- access control ---------------------------------------------------------------- */

static dx_status run_bac(session *s, dx_chip_result *r, const dx_chip_access *a, dx_error *err)
{
    char info[DX_BAC_MRZ_INFO_MAX];
    dx_bac_keys k;
    dx_status st;
    if (a->use_can)
        return dx_error_set(err, DX_ERR_UNSUPPORTED,
                            "the chip offers no PACE (no EF.CardAccess), so a CAN cannot open "
                            "it: give the MRZ (BAC)");
    if ((st = dx_chip_select_aid(&s->ch, dx_emrtd_aid, DX_EMRTD_AID_LEN, err)) != DX_OK)
        return st;
    if ((st = dx_bac_mrz_info(a->document_number, a->birth_date, a->expiry_date, info, err)) ||
        (st = dx_bac_derive_keys(info, &k, err))) {
        OPENSSL_cleanse(&k, sizeof k);
        OPENSSL_cleanse(info, sizeof info);
        return st;
    }
    st = dx_bac_run(&s->ch.transport, &k, NULL, &s->sm, NULL, err);
    OPENSSL_cleanse(&k, sizeof k);
    OPENSSL_cleanse(info, sizeof info);
    if (st != DX_OK)
        return st;
    s->ch.sm = s->sm;
    snprintf(r->protocol, sizeof r->protocol, "BAC");
    snprintf(r->protocol_detail, sizeof r->protocol_detail, "3DES, retail MAC");
    snprintf(r->password, sizeof r->password, "MRZ");
    return DX_OK;
}

static dx_status run_pace(session *s, dx_chip_result *r, const dx_card_access *ca,
                          const dx_chip_access *a, dx_error *err)
{
    dx_pace_info info;
    char mrz_info[DX_BAC_MRZ_INFO_MAX];
    dx_status st;
    if ((st = dx_pace_choose(ca, &info, err)) != DX_OK)
        return st;
    dx_pace_password pw;
    if (a->use_can) {
        pw = (dx_pace_password){DX_PACE_CAN, a->can};
    } else {
        if ((st = dx_bac_mrz_info(a->document_number, a->birth_date, a->expiry_date, mrz_info,
                                  err)))
            return st;
        pw = (dx_pace_password){DX_PACE_MRZ, mrz_info};
    }
    st = dx_pace_run(&s->ch.transport, &info, &pw, NULL, &s->sm, NULL, err);
    OPENSSL_cleanse(mrz_info, sizeof mrz_info);
    if (st != DX_OK)
        return st;
    s->ch.sm = s->sm;
    snprintf(r->protocol, sizeof r->protocol, "PACE");
    dx_pace_info_describe(&info, r->protocol_detail, sizeof r->protocol_detail);
    dx_strlcpy(r->password, a->use_can ? "CAN" : "MRZ", sizeof r->password);
    /* after PACE the eMRTD application is selected under secure messaging */
    return dx_chip_select_aid(&s->ch, dx_emrtd_aid, DX_EMRTD_AID_LEN, err);
}

/* EF.CardAccess in the MF (plain), then PACE when offered, else BAC. */
static dx_status open_access(session *s, dx_chip_result *r, const dx_chip_read_options *o,
                             dx_error *err)
{
    dx_error e = {0};
    dx_card_access ca;
    bool have_ca = false;
    double t = dx_chip_now_ms();
    /* EF.CardAccess lies in the MF: select it first (a chip that refuses the
     * SELECT is in the MF already) */
    static const uint8_t mf[2] = {0x3F, 0x00};
    uint8_t rsp[64];
    dx_rapdu ra;
    dx_apdu sel = {.cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C, .data = mf, .nc = 2};
    dx_status st = dx_chip_transmit(&s->ch, &sel, rsp, sizeof rsp, &ra, &e);
    if (st != DX_OK && st != DX_ERR_PROTOCOL) {
        if (err)
            *err = e;
        return st;
    }
    st = read_into(s, r, DX_EF_CARDACCESS, 4096, &e);
    if (st == DX_OK) {
        const dx_chip_file *f = dx_chip_result_file(r, "EF.CardAccess");
        if (dx_pace_parse_card_access(f->data, f->len, &ca, &e) == DX_OK && ca.n_pace)
            have_ca = true;
        else
            snprintf(r->note, sizeof r->note, "EF.CardAccess unusable (%.200s): BAC", e.message);
    } else if (st != DX_ERR_NOT_FOUND && st != DX_ERR_PROTOCOL && st != DX_ERR_STATE) {
        if (err)
            *err = e;
        return st; /* the card or the reader went away */
    }
    if (have_ca && !o->no_pace) {
        st = run_pace(s, r, &ca, o->access, &e);
        if (st == DX_OK || st == DX_ERR_ACCESS_DENIED || st == DX_ERR_CARD_REMOVED ||
            st == DX_ERR_DISCONNECTED || st == DX_ERR_CANCELLED || st == DX_ERR_TIMEOUT ||
            st == DX_ERR_NO_CARD || o->access->use_can) {
            if (st != DX_OK && err)
                *err = e;
            r->access_ms = dx_chip_now_ms() - t;
            return st;
        }
        /* PACE could not run (a parameter set not supported, say): BAC */
        snprintf(r->note, sizeof r->note, "PACE failed (%.200s); fell back to BAC", e.message);
        dx_sm_session_free(s->sm);
        s->sm = NULL;
        s->ch.sm = NULL;
    }
    st = run_bac(s, r, o->access, err);
    r->access_ms = dx_chip_now_ms() - t;
    return st;
}

/* ---- the read ---------------------------------------------------------------------- */

#define EXT_READ 0xFE00 /* data bytes per extended READ BINARY under SM */

static void session_close(session *s)
{
    dx_sm_session_free(s->sm);
    s->sm = NULL;
    s->ch.sm = NULL;
}

/* Connect (again) and open the chip. */
static dx_status connect_open(session *s, dx_chip_result *r, const dx_chip_read_options *o,
                              bool first, dx_error *err)
{
    dx_status st;
    session_close(s);
    if (!first)
        dx_device_release_card(s->x.dev, NULL);
    int32_t to = !first ? 2000 : o->card_timeout_ms ? o->card_timeout_ms : 10000;
    double t = dx_chip_now_ms(), deadline = to < 0 ? -1 : t + to;
    /* in slices, so an interrupt (Ctrl-C) ends the wait */
    for (;;) {
        int32_t slice = 250;
        if (deadline >= 0) {
            double left = deadline - dx_chip_now_ms();
            slice = left < 1 ? 1 : left < 250 ? (int32_t)left : 250;
        }
        st = dx_device_wait_card(s->x.dev, slice, r->atr, sizeof r->atr, &r->atr_len, err);
        if (st != DX_ERR_NO_CARD || (deadline >= 0 && dx_chip_now_ms() >= deadline))
            break;
        if (o->interrupt && *o->interrupt) {
            st = dx_error_set(err, DX_ERR_CANCELLED, "interrupted while waiting for a card");
            break;
        }
    }
    if (first)
        r->wait_ms = dx_chip_now_ms() - t;
    if (st != DX_OK)
        return st;
    s->ch.extended = false;
    s->ch.max_read = o->short_read ? o->short_read : DX_CHIP_READ_DEFAULT;
    return open_access(s, r, o, err);
}

static bool fatal(dx_status st)
{
    return st == DX_ERR_CARD_REMOVED || st == DX_ERR_DISCONNECTED || st == DX_ERR_CANCELLED ||
           st == DX_ERR_NO_CARD || st == DX_ERR_TIMEOUT;
}

/* Read one file.  With extended length on, a refusal turns it off; a
 * session the chip ended (an error under secure messaging) is opened again
 * and the file tried once more.  *lost: the chip could not be opened again. */
static dx_status read_file(session *s, dx_chip_result *r, const dx_chip_read_options *o,
                           uint16_t fid, size_t max, bool *lost, dx_error *err)
{
    dx_error e = {0};
    *lost = false;
    dx_status st = read_into(s, r, fid, max, &e);
    bool closed = s->sm && !dx_sm_session_is_open(s->sm);
    bool refused_ext = st != DX_OK && s->ch.extended && !fatal(st) && st != DX_ERR_NOT_FOUND &&
                       st != DX_ERR_STATE && o->extended == DX_CHIP_EXTENDED_AUTO;
    if (st != DX_OK && !fatal(st) && (closed || refused_ext)) {
        if (refused_ext) {
            snprintf(r->note, sizeof r->note, "extended length refused (%.200s): short APDUs of "
                     "%zu bytes", e.message,
                     o->short_read ? o->short_read : (size_t)DX_CHIP_READ_DEFAULT);
            r->extended = false;
        }
        dx_error e2 = {0};
        dx_status st2 = connect_open(s, r, o, false, &e2);
        if (st2 != DX_OK) {
            *lost = true;
            if (err)
                *err = e2;
            return st2;
        }
        s->ch.extended = r->extended;
        s->ch.max_read = r->extended ? EXT_READ
                                     : o->short_read ? o->short_read : DX_CHIP_READ_DEFAULT;
        st = read_into(s, r, fid, max, &e);
    }
    if (st != DX_OK && err)
        *err = e;
    return st;
}

dx_status dx_chip_read(dx_device *dev, const dx_chip_read_options *o, dx_chip_result **out,
                       dx_error *err)
{
    dx_status st;
    dx_error e = {0};
    if (!dev || !o || !o->access || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "chip read: no device, options or key");
    *out = NULL;
    if (!dx_device_is_chip_reader(dev))
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "%s is not a chip reader", dx_device_id(dev));
    dx_chip_result *r = calloc(1, sizeof *r);
    if (!r)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    dx_strlcpy(r->device, dx_device_id(dev), sizeof r->device);
    for (size_t i = 0; i < o->n_printed_mrz && i < DX_MRZ_MAX_LINES; i++)
        snprintf(r->printed[r->n_printed++], sizeof r->printed[0], "%.44s", o->printed_mrz[i]);
    snprintf(r->protocol, sizeof r->protocol, "none");
    session s = {.x = {dev, r, o->interrupt, 0}};
    s.ch.transport = (dx_apdu_transport){xmit, &s.x, xmit_why};
    double t0 = dx_chip_now_ms();
    if ((st = connect_open(&s, r, o, true, &e)) != DX_OK)
        goto fail;
    r->extended = o->extended != DX_CHIP_EXTENDED_OFF;
    if (r->extended) {
        s.ch.extended = true;
        s.ch.max_read = EXT_READ;
    }
    double tr = dx_chip_now_ms();
    bool lost = false;
    if ((st = read_file(&s, r, o, DX_EF_COM, 4096, &lost, &e)) != DX_OK && (fatal(st) || lost))
        goto fail;
    s.ch.extended = r->extended;
    if (!r->extended)
        s.ch.max_read = o->short_read ? o->short_read : DX_CHIP_READ_DEFAULT;
    if ((st = read_file(&s, r, o, DX_EF_SOD, 1 << 16, &lost, &e)) != DX_OK && (fatal(st) || lost))
        goto fail;
    /* the data groups EF.COM lists (DG1 and DG2 always tried) */
    int dgs[16] = {1, 2}, n = 2;
    const dx_chip_file *com = dx_chip_result_file(r, "EF.COM");
    if (com && com->status == DX_OK) {
        int listed[16];
        size_t k = com_dgs(com, listed, 16, NULL);
        for (size_t i = 0; i < k; i++) {
            bool have = false;
            for (int j = 0; j < n; j++)
                have |= dgs[j] == listed[i];
            if (!have && n < 16)
                dgs[n++] = listed[i];
        }
    }
    if (o->only_dgs) {
        n = 0;
        for (size_t i = 0; i < o->n_only_dgs && n < 16; i++)
            if (o->only_dgs[i] >= 1 && o->only_dgs[i] <= 16)
                dgs[n++] = o->only_dgs[i];
    }
    for (int i = 0; i < n; i++) {
        if (dgs[i] == 3 || dgs[i] == 4) { /* fingerprints, iris: EAC only */
            dx_chip_file *f = dx_chip_result_add(r, dgs[i] == 3 ? "EF.DG3" : "EF.DG4");
            if (f) {
                f->status = DX_ERR_STATE;
                snprintf(f->error, sizeof f->error,
                         "needs Extended Access Control (terminal authentication), not done");
            }
            continue;
        }
        st = read_file(&s, r, o, DX_EF_DG(dgs[i]), 1 << 20, &lost, &e);
        if (st != DX_OK && (fatal(st) || lost))
            goto fail;
    }
    r->read_ms = dx_chip_now_ms() - tr;
    /* Active Authentication (9303 Part 11 §6.1): INTERNAL AUTHENTICATE with a
     * fresh challenge; the signature is checked by dx_chip_verify() */
    const dx_chip_file *dg15 = dx_chip_result_file(r, "EF.DG15");
    if (dg15 && dg15->status == DX_OK && !o->no_aa) {
        double ta = dx_chip_now_ms();
        r->aa_attempted = true;
        if (RAND_bytes(r->aa_challenge, sizeof r->aa_challenge) != 1) {
            st = dx_error_set(&e, DX_ERR_INTERNAL, "no random challenge");
            goto fail;
        }
        uint8_t rsp[1024];
        dx_rapdu ra;
        dx_apdu cmd = {.cla = 0x00, .ins = 0x88, .p1 = 0, .p2 = 0, .data = r->aa_challenge,
                       .nc = sizeof r->aa_challenge, .ne = 256};
        dx_error ae = {0};
        dx_status ast = dx_chip_transmit(&s.ch, &cmd, rsp, sizeof rsp, &ra, &ae);
        if (ast == DX_OK && ra.sw == 0x9000 && ra.len > 0 && (r->aa_response = malloc(ra.len))) {
            memcpy(r->aa_response, ra.data, ra.len);
            r->aa_len = ra.len;
            r->aa_status = DX_OK;
        } else {
            r->aa_status = ast != DX_OK ? ast : DX_ERR_PROTOCOL;
            dx_strlcpy(r->aa_error, ast != DX_OK ? ae.message : "INTERNAL AUTHENTICATE refused",
                       sizeof r->aa_error);
            if (ast == DX_OK)
                snprintf(r->aa_error, sizeof r->aa_error, "INTERNAL AUTHENTICATE answered %04X (%s)",
                         ra.sw, dx_apdu_sw_str(ra.sw));
            if (fatal(ast)) {
                st = ast;
                e = ae;
                goto fail;
            }
        }
        r->aa_ms = dx_chip_now_ms() - ta;
    }
    r->total_ms = dx_chip_now_ms() - t0;
    session_close(&s);
    dx_device_release_card(dev, NULL);
    *out = r;
    return DX_OK;
fail:
    r->total_ms = dx_chip_now_ms() - t0;
    session_close(&s);
    dx_device_release_card(dev, NULL);
    dx_strlcpy(r->stopped, e.message, sizeof r->stopped);
    if (err)
        *err = e;
    if (r->n_files > 0 && st != DX_ERR_NO_CARD) {
        *out = r; /* what was read before the failure is kept */
    } else {
        dx_chip_result_free(r);
    }
    return st;
}

/* ---- accessors -------------------------------------------------------------------- */

size_t dx_chip_result_file_count(const dx_chip_result *r)
{
    return r ? r->n_files : 0;
}

const dx_chip_file *dx_chip_result_file_at(const dx_chip_result *r, size_t i)
{
    return r && i < r->n_files ? &r->files[i] : NULL;
}

const dx_chip_file *dx_chip_result_file(const dx_chip_result *r, const char *name)
{
    for (size_t i = 0; r && i < r->n_files; i++)
        if (strcmp(r->files[i].name, name) == 0)
            return &r->files[i];
    return NULL;
}

void dx_chip_result_free(dx_chip_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i].data);
    free(r->aa_response);
    dx_chip_verify_clear(r);
    free(r);
}

/* ---- loading a directory ----------------------------------------------------------- */

static dx_status load_file(const char *path, uint8_t **data, size_t *len, dx_error *err)
{
    dx_status ost = DX_OK;
    FILE *f = dx_file_open_regular(path, &ost, err);
    if (!f)
        return ost;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= (1u << 24)) {
                free(buf);
                fclose(f);
                return dx_error_set(err, DX_ERR_DATA, "%s: larger than 16 MiB", path);
            }
            cap = cap ? cap * 2 : 4096;
            uint8_t *q = realloc(buf, cap);
            if (!q) {
                free(buf);
                fclose(f);
                return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
            }
            buf = q;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return dx_error_set(err, DX_ERR_IO, "%s: read error", path);
    }
    *data = buf;
    *len = n;
    return DX_OK;
}

dx_status dx_chip_result_load(const char *dir, dx_chip_result **out, dx_error *err)
{
    struct stat sb;
    if (!dir || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "chip verify: no directory");
    *out = NULL;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return dx_error_set(err, DX_ERR_NOT_FOUND, "%s: not a directory", dir);
    dx_chip_result *r = calloc(1, sizeof *r);
    if (!r)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    snprintf(r->device, sizeof r->device, "files in %s", dir);
    snprintf(r->protocol, sizeof r->protocol, "offline");
    r->offline = true;
    for (size_t i = 0; i < sizeof file_table / sizeof file_table[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, file_table[i].name);
        if (stat(path, &sb) != 0)
            continue;
        uint8_t *data = NULL;
        size_t len = 0;
        dx_status st = load_file(path, &data, &len, err);
        if (st != DX_OK) {
            dx_chip_result_free(r);
            return st;
        }
        dx_chip_file *f = dx_chip_result_add(r, file_table[i].name);
        f->status = DX_OK;
        f->data = data;
        f->len = len;
        dx_sha256_hex(data, len, f->sha256);
    }
    /* an Active Authentication exchange recorded by the read */
    char path[4200];
    snprintf(path, sizeof path, "%s/aa.json", dir);
    dx_chip_load_aa(r, path);
    snprintf(path, sizeof path, "%s/chip.json", dir); /* the printed MRZ a read recorded */
    json_t *cj = json_load_file(path, 0, NULL);
    json_t *pm = json_object_get(cj, "printed_mrz");
    for (size_t i = 0; json_is_array(pm) && i < json_array_size(pm) && i < DX_MRZ_MAX_LINES; i++) {
        const char *l = json_string_value(json_array_get(pm, i));
        if (l)
            snprintf(r->printed[r->n_printed++], sizeof r->printed[0], "%.44s", l);
    }
    json_decref(cj);
    if (!dx_chip_result_file(r, "EF.SOD")) {
        dx_chip_result_free(r);
        return dx_error_set(err, DX_ERR_NOT_FOUND, "%s: no EF.SOD (nothing to verify)", dir);
    }
    *out = r;
    return DX_OK;
}
