/* EF.DG14 SecurityInfos (9303 Part 10 §4.7.14, Part 11 §9.2; BSI TR-03110
 * Part 3 Appendix A) and EF.DG15, the Active Authentication public key (9303 Part
 * 10 §4.7.15).  Public keys load through d2i_PUBKEY into EVP_PKEY.  See
 * lds.h. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "icao/lds.h"

/* bsi-de protocols 0.4.0.127.0.7.2.2 (BSI TR-03110 Part 3), DER value */
static const uint8_t bsi_protocols[7] = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02};
/* id-icao-mrtd-security-aaProtocolObject 2.23.136.1.1.5 (9303 Part 11 §6.1) */
static const uint8_t aa_protocol[6] = {0x67, 0x81, 0x08, 0x01, 0x01, 0x05};

const char *dx_lds_si_kind_name(dx_lds_si_kind k)
{
    switch (k) {
    case DX_LDS_SI_PACE: return "PACEInfo";
    case DX_LDS_SI_PACE_DOMAIN: return "PACEDomainParameterInfo";
    case DX_LDS_SI_CA: return "ChipAuthenticationInfo";
    case DX_LDS_SI_CA_DOMAIN: return "ChipAuthenticationDomainParameterInfo";
    case DX_LDS_SI_CA_PUBLIC_KEY: return "ChipAuthenticationPublicKeyInfo";
    case DX_LDS_SI_TA: return "TerminalAuthenticationInfo";
    case DX_LDS_SI_AA: return "ActiveAuthenticationInfo";
    default: return "unknown SecurityInfo";
    }
}

/* OpenSSL's last complaint, for a message; clears the queue. */
static const char *ossl_why(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        snprintf(buf, cap, "no reason given");
    else
        ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

void dx_lds_pubkey_free(dx_lds_pubkey *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->key);
    memset(k, 0, sizeof *k);
}

/* SubjectPublicKeyInfo (RFC 5280 §4.1) -> EVP_PKEY; spki is the whole
 * SEQUENCE, which d2i_PUBKEY must take to its last byte. */
static dx_status load_spki(const dx_tlv *spki, const char *what, dx_lds_pubkey *out,
                           dx_error *err)
{
    const unsigned char *p = spki->raw;
    EVP_PKEY *k;
    char why[160];
    size_t len = 0;

    if (spki->tag != 0x30)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: expected a SubjectPublicKeyInfo "
                            "(SEQUENCE 30), found tag %X", what, spki->offset,
                            (unsigned)spki->tag);
    if (spki->raw_len > LONG_MAX)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: SubjectPublicKeyInfo too large",
                            what, spki->offset);
    ERR_clear_error();
    k = d2i_PUBKEY(NULL, &p, (long)spki->raw_len);
    if (!k)
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the SubjectPublicKeyInfo does not "
                            "load as a public key (OpenSSL: %s)", what, spki->offset,
                            ossl_why(why, sizeof why));
    ERR_clear_error();
    if (p != spki->raw + spki->raw_len) {
        EVP_PKEY_free(k);
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: the SubjectPublicKeyInfo ends "
                            "before its %zu bytes", what, spki->offset, spki->raw_len);
    }
    memset(out, 0, sizeof *out);
    out->key = k;
    out->spki = spki->raw;
    out->spki_len = spki->raw_len;
    snprintf(out->algorithm, sizeof out->algorithm, "%s",
             EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown");
    out->bits = EVP_PKEY_get_bits(k);
    if (EVP_PKEY_is_a(k, "EC")) {
        char enc[32] = "";
        if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, out->curve,
                                            sizeof out->curve, &len))
            out->curve[0] = '\0';
        if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof enc,
                                           &len))
            out->explicit_params = strcmp(enc, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 0;
        ERR_clear_error();
    }
    return DX_OK;
}

/* An INTEGER field of at most 4 bytes. */
static dx_status read_uint(dx_tlv_reader *r, const char *what, const char *label,
                           uint32_t *v, dx_error *err)
{
    dx_tlv t;
    char where[96];
    dx_status st = dx_tlv_read_expect(r, 0x02, &t, err);
    if (st != DX_OK)
        return st;
    snprintf(where, sizeof where, "%s: %s", what, label);
    return dx_tlv_get_uint(&t, v, where, err);
}

/* An optional trailing INTEGER (keyId, parameterId). */
static dx_status read_opt_uint(dx_tlv_reader *r, const char *what, const char *label,
                               bool *has, uint32_t *v, dx_error *err)
{
    dx_tlv t;
    dx_tlv_reader probe = *r;
    if (dx_tlv_reader_done(r))
        return DX_OK;
    dx_status st = dx_tlv_read(&probe, &t, err);
    if (st != DX_OK)
        return st;
    if (t.tag != 0x02)
        return DX_OK;
    *has = true;
    return read_uint(r, what, label, v, err);
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }: its OID. */
static dx_status read_algorithm_id(dx_tlv_reader *r, const char *what, char *oid, size_t cap,
                                   dx_error *err)
{
    dx_tlv seq, o;
    dx_tlv_reader in;
    dx_status st = dx_tlv_read_expect(r, 0x30, &seq, err);
    if (st != DX_OK)
        return st;
    dx_tlv_reader_enter(&in, r, &seq, what);
    if ((st = dx_tlv_read_expect(&in, 0x06, &o, err)) != DX_OK)
        return st;
    if (!dx_lds_oid_text(o.value, o.len, oid, cap))
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: malformed OBJECT IDENTIFIER",
                            what, o.offset);
    return DX_OK;
}

static dx_chip_ka ka_of_arc(uint8_t arc, bool pace)
{
    if (pace)
        return arc == 1 || arc == 3 ? DX_CHIP_KA_DH
               : arc == 2 || arc == 4 || arc == 6 ? DX_CHIP_KA_ECDH : 0;
    return arc == 1 ? DX_CHIP_KA_DH : arc == 2 ? DX_CHIP_KA_ECDH : 0;
}

static dx_chip_cipher cipher_of_arc(uint8_t arc)
{
    return arc >= 1 && arc <= 4 ? (dx_chip_cipher)arc : 0;
}

/* Which SecurityInfo an OID (DER value) announces. */
static dx_lds_si_kind classify(const dx_tlv *oid, dx_lds_security_info *si)
{
    const uint8_t *v = oid->value;
    size_t extra;

    if (oid->len == sizeof aa_protocol && memcmp(v, aa_protocol, sizeof aa_protocol) == 0)
        return DX_LDS_SI_AA;
    if (oid->len < 8 || oid->len > 10 || memcmp(v, bsi_protocols, sizeof bsi_protocols) != 0)
        return DX_LDS_SI_UNKNOWN;
    for (size_t i = 7; i < oid->len; i++)
        if (v[i] & 0x80)
            return DX_LDS_SI_UNKNOWN;  /* an arc above 127: none of ours */
    extra = oid->len - 8;
    switch (v[7]) {
    case 1:  /* id-PK */
        if (extra != 1)
            return DX_LDS_SI_UNKNOWN;
        si->ka = ka_of_arc(v[8], false);
        return DX_LDS_SI_CA_PUBLIC_KEY;
    case 2:  /* id-TA */
        return extra == 0 ? DX_LDS_SI_TA : DX_LDS_SI_UNKNOWN;
    case 3:  /* id-CA */
        if (extra == 0)
            return DX_LDS_SI_UNKNOWN;
        si->ka = ka_of_arc(v[8], false);
        if (extra == 1)
            return DX_LDS_SI_CA_DOMAIN;
        si->cipher = cipher_of_arc(v[9]);
        return DX_LDS_SI_CA;
    case 4:  /* id-PACE */
        if (extra == 0)
            return DX_LDS_SI_UNKNOWN;
        si->ka = ka_of_arc(v[8], true);
        if (extra == 1)
            return DX_LDS_SI_PACE_DOMAIN;
        si->cipher = cipher_of_arc(v[9]);
        return DX_LDS_SI_PACE;
    default:
        return DX_LDS_SI_UNKNOWN;
    }
}

/* One SecurityInfo ::= SEQUENCE { protocol OID, required ANY, optional ANY }
 * (9303 Part 11 §9.2). */
static dx_status parse_info(const dx_tlv_reader *set, const dx_tlv *seq, const char *what,
                            dx_lds_security_info *si, dx_lds_notes *notes, dx_error *err)
{
    dx_tlv_reader f;
    dx_tlv oid, t;
    dx_status st = DX_OK;
    uint32_t v = 0;
    bool has = false;

    dx_tlv_reader_enter(&f, set, seq, what);
    si->raw = seq->raw;
    si->raw_len = seq->raw_len;
    si->offset = seq->offset;
    si->parameter_id = -1;
    if ((st = dx_tlv_read_expect(&f, 0x06, &oid, err)) != DX_OK)
        return st;
    if (!dx_lds_oid_text(oid.value, oid.len, si->oid, sizeof si->oid))
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: malformed OBJECT IDENTIFIER",
                            what, oid.offset);
    si->kind = classify(&oid, si);
    switch (si->kind) {
    case DX_LDS_SI_PACE:
        /* PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL } */
        if ((st = read_uint(&f, what, "PACEInfo version", &si->version, err)) != DX_OK ||
            (st = read_opt_uint(&f, what, "PACEInfo parameterId", &has, &v, err)) != DX_OK)
            return st;
        si->has_version = true;
        if (has)
            si->parameter_id = v > INT32_MAX ? INT32_MAX : (int32_t)v;
        break;
    case DX_LDS_SI_PACE_DOMAIN:
        /* PACEDomainParameterInfo ::= SEQUENCE { protocol, domainParameter
         *     AlgorithmIdentifier, parameterId INTEGER OPTIONAL } */
        if ((st = read_algorithm_id(&f, what, si->algorithm, sizeof si->algorithm, err)) != DX_OK ||
            (st = read_opt_uint(&f, what, "PACEDomainParameterInfo parameterId", &has, &v,
                                err)) != DX_OK)
            return st;
        if (has)
            si->parameter_id = v > INT32_MAX ? INT32_MAX : (int32_t)v;
        break;
    case DX_LDS_SI_CA:
        /* ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER, keyId INTEGER OPTIONAL } */
        if ((st = read_uint(&f, what, "ChipAuthenticationInfo version", &si->version, err)) ||
            (st = read_opt_uint(&f, what, "ChipAuthenticationInfo keyId", &si->has_key_id,
                                &si->key_id, err)))
            return st;
        si->has_version = true;
        break;
    case DX_LDS_SI_CA_DOMAIN:
        /* ChipAuthenticationDomainParameterInfo ::= SEQUENCE { protocol, domainParameter
         *     AlgorithmIdentifier, keyId INTEGER OPTIONAL } */
        if ((st = read_algorithm_id(&f, what, si->algorithm, sizeof si->algorithm, err)) ||
            (st = read_opt_uint(&f, what, "ChipAuthenticationDomainParameterInfo keyId",
                                &si->has_key_id, &si->key_id, err)))
            return st;
        break;
    case DX_LDS_SI_CA_PUBLIC_KEY:
        /* ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol,
         *     chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER OPTIONAL } */
        if ((st = dx_tlv_read(&f, &t, err)) != DX_OK)
            return st;
        if ((st = read_opt_uint(&f, what, "ChipAuthenticationPublicKeyInfo keyId",
                                &si->has_key_id, &si->key_id, err)) != DX_OK)
            return st;
        if ((st = load_spki(&t, what, &si->public_key, err)) != DX_OK)
            return st;
        break;
    case DX_LDS_SI_TA:
        /* TerminalAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER,
         *     efCVCA FileID OPTIONAL }, FileID ::= SEQUENCE { fid OCTET STRING (SIZE (2)),
         *     sfid OCTET STRING (SIZE (1)) OPTIONAL } */
        if ((st = read_uint(&f, what, "TerminalAuthenticationInfo version", &si->version, err)))
            return st;
        si->has_version = true;
        if (!dx_tlv_reader_done(&f)) {
            dx_tlv_reader probe = f, fr;
            dx_tlv fid;
            if ((st = dx_tlv_read(&probe, &t, err)) != DX_OK)
                return st;
            if (t.tag == 0x30) {
                f = probe;
                dx_tlv_reader_enter(&fr, &f, &t, what);
                if ((st = dx_tlv_read_expect(&fr, 0x04, &fid, err)) != DX_OK)
                    return st;
                if (fid.len != 2)
                    return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: efCVCA file "
                                        "identifier of %zu bytes, 2 expected", what, fid.offset,
                                        fid.len);
                si->ef_cvca = (uint16_t)(fid.value[0] << 8 | fid.value[1]);
                si->has_ef_cvca = true;
            }
        }
        break;
    case DX_LDS_SI_AA:
        /* ActiveAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER,
         *     signatureAlgorithm OBJECT IDENTIFIER } (9303 Part 11 §9.2) */
        if ((st = read_uint(&f, what, "ActiveAuthenticationInfo version", &si->version, err)))
            return st;
        si->has_version = true;
        if ((st = dx_tlv_read_expect(&f, 0x06, &t, err)) != DX_OK)
            return st;
        if (!dx_lds_oid_text(t.value, t.len, si->algorithm, sizeof si->algorithm))
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: malformed OBJECT "
                                "IDENTIFIER", what, t.offset);
        break;
    default:
        return DX_OK;  /* unknown: kept as it is */
    }
    if (!dx_tlv_reader_done(&f))
        dx_lds_note(notes, "%s at offset %zu: %zu bytes after its fields (ignored)",
                    dx_lds_si_kind_name(si->kind), seq->offset, f.len - f.pos);
    return DX_OK;
}

void dx_lds_security_infos_free(dx_lds_security_infos *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n && s->infos; i++)
        dx_lds_pubkey_free(&s->infos[i].public_key);
    free(s->infos);
    memset(s, 0, sizeof *s);
}

/* SecurityInfos ::= SET OF SecurityInfo, read from r (9303 Part 11 §9.2). */
static dx_status parse_set(dx_tlv_reader *r, const char *what, dx_lds_security_infos *out,
                           dx_error *err)
{
    dx_tlv set;
    dx_tlv_reader in, count_r;
    dx_status st;
    size_t count = 0;
    bool pace = false;

    if ((st = dx_tlv_read_expect(r, 0x31, &set, err)) != DX_OK)
        return st;
    dx_tlv_reader_enter(&count_r, r, &set, what);
    while (!dx_tlv_reader_done(&count_r)) {
        dx_tlv t;
        if ((st = dx_tlv_read(&count_r, &t, err)) != DX_OK)
            return st;
        if (t.tag != 0x30)
            return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: SecurityInfo with tag %X "
                                "(SEQUENCE 30 expected)", what, t.offset, (unsigned)t.tag);
        count++;
    }
    if (count == 0) {
        dx_lds_note(&out->notes, "the SecurityInfos SET (offset %zu) is empty", set.offset);
        return DX_OK;
    }
    out->infos = calloc(count, sizeof *out->infos);
    if (!out->infos)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", what);
    dx_tlv_reader_enter(&in, r, &set, what);
    while (!dx_tlv_reader_done(&in)) {
        dx_tlv seq;
        if ((st = dx_tlv_read(&in, &seq, err)) != DX_OK)
            return st;
        st = parse_info(&in, &seq, what, &out->infos[out->n], &out->notes, err);
        out->n++;  /* counted even on error, so that its key is freed */
        if (st != DX_OK)
            return st;
        if (out->infos[out->n - 1].kind == DX_LDS_SI_PACE)
            pace = true;
    }
    if (pace) {
        dx_error e = {0};
        st = dx_pace_parse_card_access(set.raw, set.raw_len, &out->pace, &e);
        if (st != DX_OK)
            return dx_error_set(err, st, "%s: offset %zu: PACEInfos: %s", what, set.offset,
                                e.message);
    }
    return DX_OK;
}

dx_status dx_lds_parse_security_infos(const uint8_t *buf, size_t n, const char *what,
                                      dx_lds_security_infos *out, dx_error *err)
{
    dx_tlv_reader r;
    dx_status st;

    if (!what)
        what = "SecurityInfos";
    if (!out || (!buf && n))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s: NULL argument", what);
    memset(out, 0, sizeof *out);
    dx_tlv_reader_init(&r, buf, n, what);
    st = parse_set(&r, what, out, err);
    if (st != DX_OK) {
        dx_lds_security_infos_free(out);
        return st;
    }
    if (!dx_tlv_reader_done(&r))
        dx_lds_note(&out->notes, "%zu bytes after the SecurityInfos (offset %zu) ignored",
                    r.len - r.pos, r.pos);
    return DX_OK;
}

dx_status dx_lds_parse_dg14(const uint8_t *buf, size_t n, dx_lds_security_infos *out,
                            dx_error *err)
{
    const char *what = "EF.DG14";
    dx_tlv_reader r;
    dx_tlv outer;
    dx_status st;

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG14: NULL argument");
    memset(out, 0, sizeof *out);
    st = dx_lds_open(buf, n, 0x6E, what, &r, &outer, &out->notes, err);
    if (st == DX_OK)
        st = parse_set(&r, what, out, err);
    if (st != DX_OK) {
        dx_lds_security_infos_free(out);
        return st;
    }
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv x;
        if ((st = dx_tlv_read(&r, &x, err)) != DX_OK) {
            dx_lds_security_infos_free(out);
            return st;
        }
        dx_lds_note(&out->notes, "tag %X at offset %zu after the SecurityInfos (ignored)",
                    (unsigned)x.tag, x.offset);
    }
    return DX_OK;
}

dx_status dx_lds_parse_dg15(const uint8_t *buf, size_t n, dx_lds_pubkey *out, dx_error *err)
{
    const char *what = "EF.DG15";
    dx_tlv_reader r;
    dx_tlv outer, spki;
    dx_status st;

    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "EF.DG15: NULL argument");
    memset(out, 0, sizeof *out);
    st = dx_lds_open(buf, n, 0x6F, what, &r, &outer, NULL, err);
    if (st != DX_OK)
        return st;
    if ((st = dx_tlv_read(&r, &spki, err)) != DX_OK)
        return st;
    if (!dx_tlv_reader_done(&r))
        return dx_error_set(err, DX_ERR_DATA, "%s: offset %zu: %zu bytes after the "
                            "SubjectPublicKeyInfo", what, r.base + r.pos, r.len - r.pos);
    if ((st = load_spki(&spki, what, out, err)) != DX_OK)
        return st;
    if (!EVP_PKEY_is_a(out->key, "RSA") && !EVP_PKEY_is_a(out->key, "EC")) {
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "%s: offset %zu: a %s key; Active "
                          "Authentication takes RSA or EC keys", what, spki.offset,
                          out->algorithm);
        dx_lds_pubkey_free(out);
        return st;
    }
    return DX_OK;
}
