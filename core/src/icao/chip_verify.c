/* docex — verifying a chip read, and its record: chip.json, the raw files,
 * the face image, a terminal summary. */
#include "icao/chip_internal.h"
#include "host/host_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capture/manifest.h"
#include "icao/aa.h"
#include "icao/lds.h"
#include "icao/pa.h"
#include "icao/tlv.h"
#include "icao/trust.h"
#include "synth/render.h"

#define CHIP_JSON_FORMAT "docex.chip_read/1"

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            return 0;
        out[n++] = (uint8_t)v;
    }
    return s[0] ? 0 : n;
}

void dx_chip_verify_clear(dx_chip_result *r)
{
    json_decref(r->pa);
    json_decref(r->aa);
    json_decref(r->face);
    json_decref(r->dg1_vs_printed);
    free(r->face_rgb);
    r->pa = r->aa = r->face = r->dg1_vs_printed = NULL;
    r->face_rgb = NULL;
    r->verify_run = r->verified = r->dg1_ok = false;
}

void dx_chip_load_aa(dx_chip_result *r, const char *path)
{
    json_t *j = json_load_file(path, 0, NULL);
    const char *c = json_string_value(json_object_get(j, "challenge"));
    const char *s = json_string_value(json_object_get(j, "response"));
    uint8_t buf[1024];
    size_t n;
    if (c && s && unhex(c, r->aa_challenge, sizeof r->aa_challenge) == 8 &&
        (n = unhex(s, buf, sizeof buf)) > 0 && (r->aa_response = malloc(n))) {
        memcpy(r->aa_response, buf, n);
        r->aa_len = n;
        r->aa_attempted = true;
        r->aa_status = DX_OK;
    }
    json_decref(j);
}

/* DG1 (9303 Part 10 §4.7.1) through the MRZ parser. */
static void verify_dg1(dx_chip_result *r)
{
    const dx_chip_file *f = dx_chip_result_file(r, "EF.DG1");
    dx_error e = {0};
    dx_lds_dg1 d;
    r->dg1_ok = false;
    if (!f || f->status != DX_OK) {
        dx_strlcpy(r->dg1_error, "DG1 not read", sizeof r->dg1_error);
        return;
    }
    if (dx_lds_parse_dg1(f->data, f->len, NULL, &d, &e) != DX_OK) {
        dx_strlcpy(r->dg1_error, e.message, sizeof r->dg1_error);
        return;
    }
    r->dg1 = d.mrz;
    r->dg1_ok = true;
}

/* DG2's first face: the record's fields, and the image decoded. */
static void verify_face(dx_chip_result *r)
{
    const dx_chip_file *f = dx_chip_result_file(r, "EF.DG2");
    dx_error e = {0};
    if (!f || f->status != DX_OK)
        return;
    dx_lds_dg2 *d = calloc(1, sizeof *d);
    json_t *j = json_object();
    if (!d || !j) {
        free(d);
        json_decref(j);
        return;
    }
    if (dx_lds_parse_dg2(f->data, f->len, d, &e) != DX_OK || d->n_faces == 0) {
        json_object_set_new(j, "error", json_string(d->n_faces ? e.message : e.message[0] ? e.message : "no face"));
    } else {
        const dx_lds_face *face = &d->faces[0];
        static const char *const genders[] = {"unspecified", "male", "female"};
        json_object_set_new(j, "faces", json_integer((json_int_t)d->n_faces));
        json_object_set_new(j, "format", json_string(dx_lds_image_format_name(face->image_format)));
        json_object_set_new(j, "declared", json_pack("{s:i,s:i}", "width", face->width, "height",
                                                     face->height));
        json_object_set_new(j, "image_bytes", json_integer((json_int_t)face->image_len));
        json_object_set_new(j, "gender", json_string(face->gender < 3 ? genders[face->gender]
                                                                     : "unknown"));
        dx_lds_pixels px = {0};
        /* a face is a few hundred pixels a side: 16 megapixels is plenty */
        if (dx_lds_face_decode(face, 16u * 1000 * 1000, &px, &e) == DX_OK) {
            json_object_set_new(j, "decoded", json_pack("{s:i,s:i}", "width", (int)px.width,
                                                        "height", (int)px.height));
            if (px.mismatch[0])
                json_object_set_new(j, "mismatch", json_string(px.mismatch));
            r->face_rgb = px.rgb;
            r->face_w = (uint32_t)px.width;
            r->face_h = (uint32_t)px.height;
        } else {
            json_object_set_new(j, "error", json_string(e.message));
        }
    }
    free(d);
    r->face = j;
}

static dx_status verify_pa(dx_chip_result *r, const char *trust_dir, int64_t at, bool *passed,
                           dx_error *err)
{
    const dx_chip_file *sod = dx_chip_result_file(r, "EF.SOD");
    dx_trust_store *ts = NULL;
    dx_pa_dg dgs[16];
    size_t n = 0;
    *passed = false;
    if (!sod || sod->status != DX_OK) {
        r->pa = json_pack("{s:s,s:s}", "result", "failed", "detail", "EF.SOD was not read");
        return DX_OK;
    }
    for (size_t i = 0; i < r->n_files && n < 16; i++)
        if (r->files[i].dg > 0 && r->files[i].status == DX_OK)
            dgs[n++] = (dx_pa_dg){r->files[i].dg, r->files[i].data, r->files[i].len};
    json_t *trust_notes = NULL;
    if (trust_dir) {
        dx_status st = dx_trust_store_load(trust_dir, &ts, err);
        if (st != DX_OK)
            return st;
        trust_notes = dx_trust_store_to_json(ts);
    }
    dx_pa_report *rep = calloc(1, sizeof *rep);
    if (!rep) {
        dx_trust_store_free(ts);
        json_decref(trust_notes);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    }
    dx_error e = {0};
    dx_status st = dx_pa_verify(sod->data, sod->len, dgs, n, ts, at, rep, &e);
    r->pa = dx_pa_report_to_json(rep);
    if (r->pa && trust_notes)
        json_object_set_new(r->pa, "trust_store", trust_notes);
    else
        json_decref(trust_notes);
    if (r->pa && !trust_dir)
        json_object_set_new(r->pa, "note", json_string("no trust store given (--trust): the "
                                                       "Document Signer's chain is not checked"));
    *passed = rep->overall == DX_PA_PASSED;
    free(rep);
    dx_trust_store_free(ts);
    return st == DX_ERR_NO_MEMORY ? dx_error_set(err, st, "%s", e.message) : DX_OK;
}

/* Active Authentication (9303 Part 11 §6.1): the chip's signature of our
 * challenge with the DG15 key (the algorithm for ECDSA from DG14). */
static void verify_aa(dx_chip_result *r, bool *ok)
{
    const dx_chip_file *dg15 = dx_chip_result_file(r, "EF.DG15");
    const dx_chip_file *dg14 = dx_chip_result_file(r, "EF.DG14");
    dx_error e = {0};
    *ok = true;
    if (!dg15 || dg15->status != DX_OK) {
        /* a chip whose EF.COM or SOD lists DG15 offers AA: hiding DG15 (a
         * clone answering 6A82) must not pass as "no AA" */
        bool listed = false;
        const dx_chip_file *com = dx_chip_result_file(r, "EF.COM");
        dx_lds_com c;
        dx_error ce = {0};
        if (com && com->status == DX_OK && dx_lds_parse_com(com->data, com->len, &c, &ce) == DX_OK)
            listed = dx_lds_com_has(&c, 15);
        size_t i;
        json_t *g;
        json_array_foreach(r->pa ? json_object_get(r->pa, "data_groups") : NULL, i, g)
            if (json_integer_value(json_object_get(g, "dg")) == 15)
                listed = true;
        if (listed) {
            *ok = false;
            r->aa = json_pack("{s:s,s:s}", "result", "failed", "detail",
                              "DG15 is listed (EF.COM or EF.SOD) but was not read: Active "
                              "Authentication could not run");
        } else {
            r->aa = json_pack("{s:s,s:s}", "result", "not_offered", "detail",
                              "no DG15: the chip offers no Active Authentication");
        }
        return;
    }
    if (!r->aa_attempted) {
        /* offline files, or --no-aa: nothing says the chip holds the key */
        *ok = false;
        r->aa = json_pack("{s:s,s:s}", "result", "not_run", "detail",
                          "not run (the chip was not asked)");
        return;
    }
    if (r->aa_status != DX_OK || !r->aa_response) {
        *ok = false;
        r->aa = json_pack("{s:s,s:s}", "result", "failed", "detail", r->aa_error);
        return;
    }
    dx_lds_pubkey key = {0};
    if (dx_lds_parse_dg15(dg15->data, dg15->len, &key, &e) != DX_OK) {
        *ok = false;
        r->aa = json_pack("{s:s,s:s}", "result", "failed", "detail", e.message);
        return;
    }
    char oid[64] = "";
    dx_lds_security_infos si = {0};
    if (dg14 && dg14->status == DX_OK && dx_lds_parse_dg14(dg14->data, dg14->len, &si, &e) == DX_OK)
        for (size_t i = 0; i < si.n; i++)
            if (si.infos[i].kind == DX_LDS_SI_AA && si.infos[i].algorithm[0])
                dx_strlcpy(oid, si.infos[i].algorithm, sizeof oid);
    dx_lds_security_infos_free(&si);
    dx_aa_result res = {0};
    dx_status st = dx_aa_verify(key.key, oid[0] ? oid : NULL, r->aa_challenge,
                                sizeof r->aa_challenge, r->aa_response, r->aa_len, &res, &e);
    dx_lds_pubkey_free(&key);
    if (st != DX_OK && res.result == DX_AA_NOT_CHECKED && !res.detail[0])
        dx_strlcpy(res.detail, e.message, sizeof res.detail);
    r->aa = dx_aa_result_to_json(&res);
    if (r->aa && r->offline) /* what the read recorded, checked again: not a new exchange */
        json_object_set_new(r->aa, "recorded_exchange", json_true());
    *ok = res.result == DX_AA_PASSED;
}

dx_status dx_chip_verify(dx_chip_result *r, const char *trust_dir, int64_t at_unix, dx_error *err)
{
    if (!r)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "chip verify: no result");
    dx_chip_verify_clear(r);
    r->verify_run = true;
    verify_dg1(r);
    verify_face(r);
    bool pa_ok = false, aa_ok = false;
    dx_status st = verify_pa(r, trust_dir, at_unix, &pa_ok, err);
    if (st != DX_OK)
        return st;
    verify_aa(r, &aa_ok);
    r->verified = r->dg1_ok && r->dg1.valid && pa_ok && aa_ok;
    /* the chip against the printed page */
    if (r->n_printed && r->dg1_ok) {
        json_t *diff = json_array();
        bool same = r->n_printed == r->dg1.n_lines;
        for (size_t l = 0; l < r->n_printed && l < r->dg1.n_lines; l++)
            for (size_t c = 0; r->printed[l][c] || r->dg1.lines[l][c]; c++)
                if (r->printed[l][c] != r->dg1.lines[l][c]) {
                    char p[2] = {r->printed[l][c], 0}, q[2] = {r->dg1.lines[l][c], 0};
                    json_array_append_new(diff, json_pack("{s:i,s:i,s:s,s:s}", "line", (int)l + 1,
                                                          "column", (int)c + 1, "printed", p,
                                                          "chip", q));
                    same = false;
                    if (!r->printed[l][c] || !r->dg1.lines[l][c])
                        break;
                }
        r->dg1_vs_printed = json_pack("{s:b,s:o}", "match", same, "differences", diff);
        r->verified = r->verified && same;
    }
    return DX_OK;
}

bool dx_chip_result_verified(const dx_chip_result *r)
{
    return r && r->verify_run && r->verified;
}

const dx_mrz *dx_chip_result_dg1(const dx_chip_result *r)
{
    return r && r->dg1_ok ? &r->dg1 : NULL;
}

/* ---- chip.json ------------------------------------------------------------------ */

static json_t *ms(double v)
{
    return json_real((double)(long long)(v * 1000 + 0.5) / 1000);
}

char *dx_chip_result_to_json(const dx_chip_result *r)
{
    if (!r)
        return NULL;
    json_t *o = json_object(), *files = json_array(), *t = json_object();
    char atr[2 * sizeof r->atr + 1];
    hex_of(r->atr, r->atr_len, atr);
    json_object_set_new(o, "format", json_string(CHIP_JSON_FORMAT));
    json_object_set_new(o, "device", json_string(r->device));
    json_object_set_new(o, "atr", r->offline ? json_null() : json_string(atr));
    json_object_set_new(o, "access", json_pack("{s:s,s:s,s:s,s:b}", "protocol", r->protocol,
                                               "parameters", r->protocol_detail, "password",
                                               r->password, "extended_length", r->extended));
    if (r->note[0])
        json_object_set_new(o, "note", json_string(r->note));
    for (size_t i = 0; i < r->n_files; i++) {
        const dx_chip_file *f = &r->files[i];
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(f->name));
        char fid[8];
        snprintf(fid, sizeof fid, "%04X", f->fid);
        json_object_set_new(j, "fid", json_string(fid));
        json_object_set_new(j, "status", json_string(f->status == DX_OK ? "read"
                                                     : f->status == DX_ERR_NOT_FOUND ? "absent"
                                                     : f->status == DX_ERR_STATE ? "not_allowed"
                                                                                 : "failed"));
        if (f->status == DX_OK) {
            json_object_set_new(j, "bytes", json_integer((json_int_t)f->len));
            json_object_set_new(j, "sha256", json_string(f->sha256));
        }
        if (f->error[0] && f->status != DX_OK)
            json_object_set_new(j, "error", json_string(f->error));
        if (!r->offline) {
            json_object_set_new(j, "ms", ms(f->ms));
            json_object_set_new(j, "apdus", json_integer(f->apdus));
        }
        json_array_append_new(files, j);
    }
    json_object_set_new(o, "files", files);
    if (r->verify_run) {
        json_t *dg1 = json_object();
        if (r->dg1_ok) {
            char *mj = dx_mrz_to_json(&r->dg1);
            json_t *m = mj ? json_loads(mj, 0, NULL) : NULL;
            free(mj);
            json_object_set_new(dg1, "mrz", m ? m : json_null());
        } else {
            json_object_set_new(dg1, "error", json_string(r->dg1_error));
        }
        json_object_set_new(o, "dg1", dg1);
        if (r->dg1_vs_printed)
            json_object_set(o, "dg1_vs_printed_mrz", r->dg1_vs_printed);
        if (r->face)
            json_object_set(o, "face", r->face);
        if (r->pa)
            json_object_set(o, "passive_authentication", r->pa);
        else
            json_object_set_new(o, "passive_authentication", json_pack("{s:s}", "result", "not_run"));
        if (r->aa)
            json_object_set(o, "active_authentication", r->aa);
        else
            json_object_set_new(o, "active_authentication",
                                json_pack("{s:s}", "result",
                                          r->aa_attempted ? "not_verified" : "not_run"));
        json_object_set_new(o, "verified", json_boolean(r->verified));
    }
    if (r->aa_attempted) {
        char c[17], *s = malloc(2 * r->aa_len + 1);
        hex_of(r->aa_challenge, 8, c);
        if (s)
            hex_of(r->aa_response ? r->aa_response : (const uint8_t *)"", r->aa_len, s);
        json_t *x = json_object();
        json_object_set_new(x, "challenge", json_string(c));
        if (r->aa_status == DX_OK && s)
            json_object_set_new(x, "response", json_string(s));
        if (r->aa_error[0])
            json_object_set_new(x, "error", json_string(r->aa_error));
        json_object_set_new(o, "aa_exchange", x);
        free(s);
    }
    if (!r->offline) {
        json_object_set_new(t, "apdus", json_integer(r->apdus));
        json_object_set_new(t, "bytes_sent", json_integer((json_int_t)r->bytes_sent));
        json_object_set_new(t, "bytes_received", json_integer((json_int_t)r->bytes_received));
        json_object_set_new(t, "wait_card_ms", ms(r->wait_ms));
        json_object_set_new(t, "access_ms", ms(r->access_ms));
        json_object_set_new(t, "read_ms", ms(r->read_ms));
        json_object_set_new(t, "aa_ms", ms(r->aa_ms));
        json_object_set_new(t, "total_ms", ms(r->total_ms));
        json_object_set_new(o, "link", t);
    } else {
        json_decref(t);
    }
    if (r->stopped[0])
        json_object_set_new(o, "stopped", json_string(r->stopped));
    if (r->n_printed) {
        json_t *pm = json_array();
        for (size_t i = 0; i < r->n_printed; i++)
            json_array_append_new(pm, json_string(r->printed[i]));
        json_object_set_new(o, "printed_mrz", pm);
    }
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

dx_status dx_chip_result_write(const dx_chip_result *r, const char *dir, dx_error *err)
{
    dx_status st;
    if (!r || !dir)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "chip write: no result or directory");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return dx_error_set(err, DX_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    for (size_t i = 0; i < r->n_files; i++) {
        const dx_chip_file *f = &r->files[i];
        if (f->status == DX_OK &&
            (st = dx_file_write_atomic_deferred(dir, f->name, f->data, f->len, NULL, err)) != DX_OK)
            return st;
    }
    if (r->aa_attempted && r->aa_status == DX_OK) {
        char c[17], *s = malloc(2 * r->aa_len + 1);
        if (!s)
            return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        hex_of(r->aa_challenge, 8, c);
        hex_of(r->aa_response, r->aa_len, s);
        json_t *j = json_pack("{s:s,s:s}", "challenge", c, "response", s);
        free(s);
        char *text = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        st = text ? dx_file_write_atomic_deferred(dir, "aa.json", text, strlen(text), NULL, err)
                  : dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        free(text);
        if (st)
            return st;
    }
    if (r->face_rgb) { /* DG2's face, decoded, for the report */
        dx_synth_image img = {r->face_w, r->face_h, 3, 8, r->face_rgb};
        uint8_t *png = NULL;
        size_t plen = 0;
        st = dx_synth_png_encode(&img, 0, &png, &plen, err);
        if (st == DX_OK)
            st = dx_file_write_atomic_deferred(dir, "face.png", png, plen, NULL, err);
        free(png);
        if (st)
            return st;
    }
    char *text = dx_chip_result_to_json(r);
    if (!text)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    size_t n = strlen(text);
    char *nl = realloc(text, n + 2);
    if (!nl) {
        free(text);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    }
    nl[n] = '\n';
    /* the files above on the disk (one sync for all), then chip.json, which
     * names them */
    if ((st = dx_fs_sync(dir, err)) == DX_OK)
        st = dx_file_write_atomic(dir, "chip.json", nl, n + 1, NULL, err);
    free(nl);
    return st;
}

void dx_chip_result_print(const dx_chip_result *r, FILE *f)
{
    if (!r || !f)
        return;
    if (!r->offline)
        fprintf(f, "chip: %s, %s (%s)%s\n", r->device, r->protocol, r->protocol_detail,
                r->extended ? ", extended length" : "");
    if (r->note[0])
        fprintf(f, "note: %s\n", r->note);
    for (size_t i = 0; i < r->n_files; i++) {
        const dx_chip_file *x = &r->files[i];
        if (x->status == DX_OK)
            fprintf(f, "  %-14s %6zu bytes  sha256 %.16s...%s\n", x->name, x->len, x->sha256,
                    r->offline ? "" : "");
        else
            fprintf(f, "  %-14s %s%s%s\n", x->name,
                    x->status == DX_ERR_NOT_FOUND ? "absent"
                    : x->status == DX_ERR_STATE   ? "not allowed"
                                                  : "FAILED",
                    x->error[0] && x->status != DX_ERR_NOT_FOUND ? ": " : "",
                    x->status != DX_ERR_NOT_FOUND ? x->error : "");
    }
    if (r->verify_run) {
        if (r->dg1_ok)
            fprintf(f, "DG1: %s %s, %s, %s%s\n", r->dg1.surname, r->dg1.given_names,
                    r->dg1.document_number, dx_mrz_format_name(r->dg1.format),
                    r->dg1.valid ? "" : " (MRZ checks FAIL)");
        else
            fprintf(f, "DG1: %s\n", r->dg1_error);
        if (r->face && json_object_get(r->face, "decoded"))
            fprintf(f, "DG2: face %s, %lld x %lld\n",
                    json_string_value(json_object_get(r->face, "format")),
                    (long long)json_integer_value(json_object_get(json_object_get(r->face, "decoded"), "width")),
                    (long long)json_integer_value(json_object_get(json_object_get(r->face, "decoded"), "height")));
        else if (r->face)
            fprintf(f, "DG2: %s\n", json_string_value(json_object_get(r->face, "error")));
        if (r->pa) {
            fprintf(f, "passive authentication: %s", json_string_value(json_object_get(r->pa, "result")));
            const char *d = json_string_value(json_object_get(r->pa, "detail"));
            bool same = d && strcmp(d, json_string_value(json_object_get(r->pa, "result"))) == 0;
            fprintf(f, "%s%s\n", d && *d && !same ? ": " : "", d && !same ? d : "");
            json_t *steps = json_object_get(r->pa, "steps");
            const char *k;
            json_t *v;
            json_object_foreach(steps, k, v) {
                const char *res = json_string_value(json_object_get(v, "result"));
                if (res && strcmp(res, "passed") != 0)
                    fprintf(f, "  %-15s %s: %s\n", k, res,
                            json_string_value(json_object_get(v, "detail")));
            }
            size_t i;
            json_array_foreach(json_object_get(r->pa, "data_groups"), i, v) {
                const char *res = json_string_value(json_object_get(v, "result"));
                if (res && strcmp(res, "passed") != 0)
                    fprintf(f, "  DG%-13lld %s%s%s\n",
                            (long long)json_integer_value(json_object_get(v, "dg")), res,
                            json_string_value(json_object_get(v, "detail")) ? ": " : "",
                            json_string_value(json_object_get(v, "detail")) ? json_string_value(json_object_get(v, "detail")) : "");
            }
        }
        if (r->aa) {
            const char *d = json_string_value(json_object_get(r->aa, "detail"));
            fprintf(f, "active authentication: %s%s%s\n",
                    json_string_value(json_object_get(r->aa, "result")), d ? ": " : "", d ? d : "");
        }
        if (r->dg1_vs_printed)
            fprintf(f, "DG1 against the printed MRZ: %s\n",
                    json_is_true(json_object_get(r->dg1_vs_printed, "match"))
                        ? "the same"
                        : "DIFFERENT (see chip.json: dg1_vs_printed_mrz)");
    }
    if (!r->offline)
        fprintf(f, "link: %u APDUs, %llu bytes sent, %llu received, %.0f ms (access %.0f ms, "
                   "files %.0f ms)\n",
                r->apdus, (unsigned long long)r->bytes_sent, (unsigned long long)r->bytes_received,
                r->total_ms, r->access_ms, r->read_ms);
    if (r->stopped[0])
        fprintf(f, "stopped: %s\n", r->stopped);
}
