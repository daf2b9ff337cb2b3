/* sim chip — loading a chip directory: chip.json ("docex.chip/1") and the
 * files it lists, each served whole as the chip holds it.
 *
 *   {"format": "docex.chip/1",
 *    "mrz": ["line 1", "line 2"(, "line 3")],   printed MRZ: BAC keys, PACE MRZ password
 *    "can": "123456",                           PACE CAN password (optional)
 *    "bac": true,                               BAC offered (default true)
 *    "pace": [{"oid": "0.4.0.127.0.7.2.2.4.2.2", "parameter_id": 13}],
 *    "aa": {"algorithm": "rsa"|"ecdsa", "private_key": "aa_private.pem",
 *           "hash": "sha1"|"sha224"|"sha256"|"sha384"|"sha512"} | null,
 *    "ca": {"oid": "0.4.0.127.0.7.2.2.3.2.2", "private_key": "ca_private.pem",
 *           "key_id": null} | null,
 *    "files": [{"name": "EF.COM", "fid": "011E", "sfi": 30,
 *               "outside_application": false}, ...],
 *    "sha256": {"EF.COM": "<hex>", ...},        checked when given
 *    "atr": "<hex>", "extended_length": true,
 *    "test": {...}}                             TEST ONLY, see below
 *
 * "test" fixes the card's random values for known-answer tests and must never
 * appear in a chip meant to behave like a real one: "rnd_ic" (8 bytes, GET
 * CHALLENGE), "k_ic" (16 bytes, BAC), "pace_nonce" (the PACE nonce s, one
 * cipher block), "pace_map_sk" and "pace_eph_sk" (the chip's PACE mapping and
 * ephemeral private keys), all hex.
 *
 * Everything here is outside input: every field is checked, file names stay
 * inside the directory, and a failure names the file and the reason. */
#include "chip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#define CHIP_PATH_MAX 4096

typedef struct loader {
    const dxp_host *host;
    const char *dir;
    sim_chip *chip;
} loader;

#define BAD(ld, ...)                                                                  \
    do {                                                                              \
        char m_[400];                                                                 \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                         \
        dxp_log((ld)->host, DXP_LOG_ERROR, "chip %s: %s", (ld)->dir, m_);             \
    } while (0)

/* ---- small parsers ------------------------------------------------------ */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Hex text into out (at most max bytes). */
static bool hex_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(s);
    if (n % 2 || n / 2 > max)
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return true;
}

/* Dotted OID text into DER content octets; the arcs into arcs[] (up to 16). */
static bool oid_encode(const char *text, uint8_t *out, size_t max, size_t *len, unsigned long *arcs,
                       size_t *n_arcs)
{
    unsigned long a[16];
    size_t n = 0, pos = 0;
    const char *p = text;

    while (*p) {
        char *end;
        if (n == 16 || *p < '0' || *p > '9')
            return false;
        errno = 0;
        a[n++] = strtoul(p, &end, 10);
        if (errno || a[n - 1] > 0xFFFFFFFFul)
            return false;
        p = end;
        if (*p == '.' && p[1])
            p++;
        else if (*p)
            return false;
    }
    if (n < 2 || a[0] > 2 || (a[0] < 2 && a[1] > 39))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned long v = i == 1 ? a[0] * 40 + a[1] : a[i];
        uint8_t tmp[8];
        size_t k = 0;
        do {
            tmp[k++] = (uint8_t)(v & 0x7F);
            v >>= 7;
        } while (v);
        if (pos + k > max)
            return false;
        while (k--)
            out[pos++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
    }
    *len = pos;
    if (arcs) {
        memcpy(arcs, a, n * sizeof a[0]);
        *n_arcs = n;
    }
    return true;
}

/* A file name in the chip directory: no path, no hidden file. */
static bool plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool join(char *buf, size_t size, const char *dir, const char *name)
{
    return (size_t)snprintf(buf, size, "%s/%s", dir, name) < size;
}

/* Reads a whole regular file of at most max bytes. */
static dx_status read_whole(loader *ld, const char *name, size_t max, uint8_t **data, size_t *len)
{
    char path[CHIP_PATH_MAX];
    struct stat st;
    uint8_t *buf = NULL;
    size_t got = 0;
    int fd;

    *data = NULL;
    *len = 0;
    if (!join(path, sizeof path, ld->dir, name)) {
        BAD(ld, "%s: path too long", name);
        return DX_ERR_DATA;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        BAD(ld, "%s: cannot open: %s", name, strerror(errno));
        return DX_ERR_DATA;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        BAD(ld, "%s: not a regular file", name);
        close(fd);
        return DX_ERR_DATA;
    }
    if ((uint64_t)st.st_size > max) {
        BAD(ld, "%s: %lld bytes, more than the %zu a chip file may have", name,
            (long long)st.st_size, max);
        close(fd);
        return DX_ERR_DATA;
    }
    if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        close(fd);
        return DX_ERR_NO_MEMORY;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            BAD(ld, "%s: read failed: %s", name, r < 0 ? strerror(errno) : "file shrank");
            free(buf);
            close(fd);
            return DX_ERR_DATA;
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return DX_OK;
}

static int pem_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1; /* encrypted keys are refused, never prompted for */
}

static EVP_PKEY *load_key(loader *ld, const char *what, const char *name)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    BIO *bio;
    EVP_PKEY *k = NULL;

    if (!plain_name(name)) {
        BAD(ld, "%s.private_key \"%s\" is not a plain file name in the chip directory", what,
            name);
        return NULL;
    }
    if (read_whole(ld, name, 1 << 20, &pem, &len) != DX_OK)
        return NULL;
    if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
        k = PEM_read_bio_PrivateKey(bio, NULL, pem_no_password, NULL);
        BIO_free(bio);
    }
    OPENSSL_clear_free(pem, len);
    if (!k)
        BAD(ld, "%s: not an unencrypted PEM private key", name);
    return k;
}

/* ---- the MRZ ---------------------------------------------------------------- */

static bool mrz_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '<'))
            return false;
    return true;
}

size_t sim_chip_mrz_info(const char *const *lines, size_t n_lines, char *out, size_t size)
{
    const char *num, *dob, *doe, *opt;
    size_t opt_len, pos = 0;
    char docnum[40];
    size_t dn = 0;
    char cd;

    for (size_t i = 0; i < n_lines; i++)
        if (!mrz_chars(lines[i], strlen(lines[i])))
            return 0;
    if (n_lines == 3 && strlen(lines[0]) == 30 && strlen(lines[1]) == 30 &&
        strlen(lines[2]) == 30) { /* TD1 */
        num = lines[0] + 5;
        opt = lines[0] + 15;
        opt_len = 15;
        dob = lines[1];
        doe = lines[1] + 8;
    } else if (n_lines == 2 && ((strlen(lines[0]) == 44 && strlen(lines[1]) == 44) ||
                                (strlen(lines[0]) == 36 && strlen(lines[1]) == 36))) {
        /* TD3, TD2 (and MRV-A/B, same second line) */
        num = lines[1];
        opt = lines[1] + 28;
        opt_len = strlen(lines[1]) == 36 ? 7 : 0;
        dob = lines[1] + 13;
        doe = lines[1] + 21;
    } else {
        return 0;
    }
    memcpy(docnum, num, 9);
    dn = 9;
    cd = num[9];
    /* 9303-3 §4.2.2 long document number: '<' in the check digit position,
     * the rest (and then the check digit) at the start of the optional data */
    if (cd == '<' && opt_len) {
        size_t k = 0;
        while (k < opt_len && opt[k] != '<')
            k++;
        if (k < 2)
            return 0;
        memcpy(docnum + dn, opt, k - 1);
        dn += k - 1;
        cd = opt[k - 1];
    }
    if (dn + 1 + 7 + 7 + 1 > size)
        return 0;
    memcpy(out, docnum, dn);
    pos = dn;
    out[pos++] = cd;
    memcpy(out + pos, dob, 7);
    pos += 7;
    memcpy(out + pos, doe, 7);
    pos += 7;
    out[pos] = '\0';
    return pos;
}

static dx_status load_mrz(loader *ld, json_t *root)
{
    json_t *mrz = json_object_get(root, "mrz");
    const char *lines[3];
    char info[64];
    uint8_t h[32], seed[16];
    size_t n, hl = 0;
    bool ok;

    if (!json_is_array(mrz) || json_array_size(mrz) < 2 || json_array_size(mrz) > 3) {
        BAD(ld, "chip.json: \"mrz\" must be an array of 2 or 3 MRZ lines");
        return DX_ERR_DATA;
    }
    for (size_t i = 0; i < json_array_size(mrz); i++)
        if (!(lines[i] = json_string_value(json_array_get(mrz, i)))) {
            BAD(ld, "chip.json: \"mrz\"[%zu] is not a string", i);
            return DX_ERR_DATA;
        }
    n = sim_chip_mrz_info(lines, json_array_size(mrz), info, sizeof info);
    if (!n) {
        BAD(ld, "chip.json: \"mrz\" is not a TD1 (3x30), TD2 (2x36) or TD3 (2x44) MRZ of "
            "A-Z 0-9 <");
        return DX_ERR_DATA;
    }
    /* 9303-11 §4.3.2 (BAC) and §4.4.3.1 (PACE password) */
    ok = sim_cc_digest("SHA1", (const uint8_t *)info, n, h, &hl) && hl == 20;
    if (ok) {
        memcpy(ld->chip->mrz_key, h, 20);
        memcpy(seed, h, 16);
        ok = sim_cc_kdf(SIM_CIPHER_3DES, 16, seed, 16, 1, ld->chip->bac_kenc) &&
             sim_cc_kdf(SIM_CIPHER_3DES, 16, seed, 16, 2, ld->chip->bac_kmac);
    }
    OPENSSL_cleanse(info, sizeof info);
    OPENSSL_cleanse(h, sizeof h);
    OPENSSL_cleanse(seed, sizeof seed);
    return ok ? DX_OK : DX_ERR_INTERNAL;
}

/* ---- PACE, AA, CA -------------------------------------------------------------- */

/* Standardized domain parameters, 9303-11 §9.5.1 (0-2 are MODP groups). */
static int param_curve(int id)
{
    switch (id) {
    case 8: return NID_X9_62_prime192v1;
    case 9: return NID_brainpoolP192r1;
    case 10: return NID_secp224r1;
    case 11: return NID_brainpoolP224r1;
    case 12: return NID_X9_62_prime256v1;
    case 13: return NID_brainpoolP256r1;
    case 14: return NID_brainpoolP320r1;
    case 15: return NID_secp384r1;
    case 16: return NID_brainpoolP384r1;
    case 17: return NID_brainpoolP512r1;
    case 18: return NID_secp521r1;
    default: return 0;
    }
}

/* The last arc of id-PACE-* / id-CA-*: 1 3DES, 2..4 AES-128/192/256. */
static bool cipher_arc(unsigned long arc, sim_cipher *alg, size_t *key_len)
{
    switch (arc) {
    case 1: *alg = SIM_CIPHER_3DES; *key_len = 16; return true;
    case 2: *alg = SIM_CIPHER_AES; *key_len = 16; return true;
    case 3: *alg = SIM_CIPHER_AES; *key_len = 24; return true;
    case 4: *alg = SIM_CIPHER_AES; *key_len = 32; return true;
    default: return false;
    }
}

/* bsi-de 0.4.0.127.0.7, id-PACE = .2.2.4, id-CA = .2.2.3 */
static bool bsi_protocol(const unsigned long *a, size_t n, unsigned long proto)
{
    static const unsigned long prefix[] = {0, 4, 0, 127, 0, 7, 2, 2};
    if (n != 11)
        return false;
    for (size_t i = 0; i < 8; i++)
        if (a[i] != prefix[i])
            return false;
    return a[8] == proto;
}

static dx_status load_pace(loader *ld, json_t *root)
{
    json_t *pace = json_object_get(root, "pace"), *e;
    size_t i;

    if (!pace || json_is_null(pace))
        return DX_OK;
    if (!json_is_array(pace) || json_array_size(pace) > SIM_CHIP_MAX_PACE) {
        BAD(ld, "chip.json: \"pace\" must be an array of at most %d entries", SIM_CHIP_MAX_PACE);
        return DX_ERR_DATA;
    }
    json_array_foreach(pace, i, e) {
        sim_chip_pace *p = &ld->chip->pace[ld->chip->n_pace];
        const char *oid = json_string_value(json_object_get(e, "oid"));
        json_t *pid = json_object_get(e, "parameter_id");
        unsigned long arcs[16];
        size_t n_arcs = 0;

        if (!oid || !oid_encode(oid, p->oid, sizeof p->oid, &p->oid_len, arcs, &n_arcs) ||
            !json_is_integer(pid) || json_integer_value(pid) < 0 ||
            json_integer_value(pid) > 31) {
            BAD(ld, "chip.json: \"pace\"[%zu] needs \"oid\" (dotted) and \"parameter_id\" "
                "(0..31)", i);
            return DX_ERR_DATA;
        }
        p->param_id = (int)json_integer_value(pid);
        if (!bsi_protocol(arcs, n_arcs, 4)) {
            BAD(ld, "chip.json: \"pace\"[%zu]: %s is not an id-PACE protocol", i, oid);
            return DX_ERR_DATA;
        }
        p->curve_nid = param_curve(p->param_id);
        p->supported = arcs[9] == 2 && p->curve_nid && cipher_arc(arcs[10], &p->alg, &p->key_len);
        if (!p->supported)
            dxp_log(ld->host, DXP_LOG_WARNING, "chip %s: PACE %s with parameter id %d is listed "
                    "but not simulated (only ECDH generic mapping on curves 8-18): the card "
                    "refuses it", ld->dir, oid, p->param_id);
        ld->chip->n_pace++;
    }
    return DX_OK;
}

static const char *md_name(const char *hash)
{
    static const char *const names[][2] = {{"sha1", "SHA1"},     {"sha224", "SHA224"},
                                           {"sha256", "SHA256"}, {"sha384", "SHA384"},
                                           {"sha512", "SHA512"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(hash, names[i][0]) == 0)
            return names[i][1];
    return NULL;
}

static dx_status load_aa(loader *ld, json_t *root)
{
    json_t *aa = json_object_get(root, "aa");
    const char *alg, *key, *hash, *md;
    sim_chip *c = ld->chip;

    if (!aa || json_is_null(aa))
        return DX_OK;
    alg = json_string_value(json_object_get(aa, "algorithm"));
    key = json_string_value(json_object_get(aa, "private_key"));
    hash = json_string_value(json_object_get(aa, "hash"));
    if (!json_is_object(aa) || !alg || !key || (strcmp(alg, "rsa") && strcmp(alg, "ecdsa"))) {
        BAD(ld, "chip.json: \"aa\" must be null or {\"algorithm\": \"rsa\"|\"ecdsa\", "
            "\"private_key\": FILE}");
        return DX_ERR_DATA;
    }
    c->aa_rsa = strcmp(alg, "rsa") == 0;
    md = hash ? md_name(hash) : c->aa_rsa ? "SHA1" : "SHA256";
    if (!md) {
        BAD(ld, "chip.json: aa.hash \"%s\" is not sha1, sha224, sha256, sha384 or sha512", hash);
        return DX_ERR_DATA;
    }
    snprintf(c->aa_md, sizeof c->aa_md, "%s", md);
    if (!(c->aa_key = load_key(ld, "aa", key)))
        return DX_ERR_DATA;
    if (c->aa_rsa) {
        int bits = EVP_PKEY_get_bits(c->aa_key);
        if (!EVP_PKEY_is_a(c->aa_key, "RSA") || bits < 1024 || bits % 8 || bits > 8192) {
            BAD(ld, "%s: AA with rsa needs an RSA key of 1024 to 8192 bits, a multiple of 8",
                key);
            return DX_ERR_DATA;
        }
    } else if (!EVP_PKEY_is_a(c->aa_key, "EC")) {
        BAD(ld, "%s: AA with ecdsa needs an EC key", key);
        return DX_ERR_DATA;
    }
    return DX_OK;
}

static dx_status load_ca(loader *ld, json_t *root)
{
    json_t *ca = json_object_get(root, "ca"), *kid;
    const char *oid, *key;
    unsigned long arcs[16];
    size_t n_arcs = 0;
    sim_chip *c = ld->chip;
    char group[64];

    if (!ca || json_is_null(ca))
        return DX_OK;
    oid = json_string_value(json_object_get(ca, "oid"));
    key = json_string_value(json_object_get(ca, "private_key"));
    kid = json_object_get(ca, "key_id");
    if (!json_is_object(ca) || !oid || !key ||
        !oid_encode(oid, c->ca_oid, sizeof c->ca_oid, &c->ca_oid_len, arcs, &n_arcs) ||
        !bsi_protocol(arcs, n_arcs, 3) ||
        (kid && !json_is_null(kid) &&
         (!json_is_integer(kid) || json_integer_value(kid) < 0 ||
          json_integer_value(kid) > 0xFFFFFFFF))) {
        BAD(ld, "chip.json: \"ca\" must be null or {\"oid\": id-CA-*, \"private_key\": FILE, "
            "\"key_id\": null|int}");
        return DX_ERR_DATA;
    }
    if (kid && json_is_integer(kid)) {
        c->ca_key_id_set = true;
        c->ca_key_id = (uint32_t)json_integer_value(kid);
    }
    if (!(c->ca_key = load_key(ld, "ca", key)))
        return DX_ERR_DATA;
    if (arcs[9] != 2 || !cipher_arc(arcs[10], &c->ca_alg, &c->ca_key_len) ||
        !EVP_PKEY_is_a(c->ca_key, "EC") ||
        !EVP_PKEY_get_utf8_string_param(c->ca_key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        NULL) ||
        !(c->ca_curve_nid = OBJ_txt2nid(group))) {
        dxp_log(ld->host, DXP_LOG_WARNING, "chip %s: Chip Authentication %s is listed but not "
                "simulated (only id-CA-ECDH-* with a named-curve EC key): the card refuses it",
                ld->dir, oid);
        EVP_PKEY_free(c->ca_key);
        c->ca_key = NULL;
    }
    return DX_OK;
}

/* ---- files ------------------------------------------------------------------- */

static dx_status load_files(loader *ld, json_t *root)
{
    json_t *files = json_object_get(root, "files"), *sums = json_object_get(root, "sha256"), *e;
    sim_chip *c = ld->chip;
    size_t i;
    dx_status st;

    if (!json_is_array(files) || json_array_size(files) == 0 ||
        json_array_size(files) > SIM_CHIP_MAX_FILES) {
        BAD(ld, "chip.json: \"files\" must be an array of 1 to %d files", SIM_CHIP_MAX_FILES);
        return DX_ERR_DATA;
    }
    if (sums && !json_is_null(sums) && !json_is_object(sums)) {
        BAD(ld, "chip.json: \"sha256\" must be an object");
        return DX_ERR_DATA;
    }
    json_array_foreach(files, i, e) {
        sim_chip_file *f = &c->files[c->n_files];
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *fid = json_string_value(json_object_get(e, "fid"));
        json_t *sfi = json_object_get(e, "sfi"), *out = json_object_get(e, "outside_application");
        uint8_t fb[2];
        size_t fl = 0;

        if (!name || !plain_name(name) || strlen(name) >= sizeof f->name || !fid ||
            strlen(fid) != 4 || !hex_decode(fid, fb, 2, &fl) ||
            (sfi && !json_is_null(sfi) &&
             (!json_is_integer(sfi) || json_integer_value(sfi) < 1 ||
              json_integer_value(sfi) > 30)) ||
            (out && !json_is_boolean(out))) {
            BAD(ld, "chip.json: \"files\"[%zu] needs \"name\" (a plain file name), \"fid\" (4 "
                "hex digits), \"sfi\" (1..30 or null) and \"outside_application\" (bool)", i);
            return DX_ERR_DATA;
        }
        snprintf(f->name, sizeof f->name, "%s", name);
        f->fid = (uint16_t)(fb[0] << 8 | fb[1]);
        f->sfi = json_is_integer(sfi) ? (uint8_t)json_integer_value(sfi) : 0;
        f->outside_app = json_is_true(out);
        if (f->fid == 0x3F00 || f->fid == 0x3FFF || f->fid == 0xFFFF || f->fid == 0x0000) {
            BAD(ld, "chip.json: %s: FID %04X is reserved (ISO/IEC 7816-4 §7.1.1)", name, f->fid);
            return DX_ERR_DATA;
        }
        for (size_t j = 0; j < c->n_files; j++) {
            const sim_chip_file *g = &c->files[j];
            if (strcmp(g->name, f->name) == 0 ||
                (g->outside_app == f->outside_app &&
                 (g->fid == f->fid || (f->sfi && g->sfi == f->sfi)))) {
                BAD(ld, "chip.json: %s and %s share a name, FID or SFI in one directory", g->name,
                    f->name);
                return DX_ERR_DATA;
            }
        }
        if ((st = read_whole(ld, name, SIM_CHIP_FILE_MAX, &f->data, &f->len)) != DX_OK)
            return st;
        c->n_files++;
        if (json_is_object(sums) && json_object_get(sums, name)) {
            const char *want = json_string_value(json_object_get(sums, name));
            uint8_t wb[32], got[32];
            size_t wl = 0, gl = 0;
            if (!want || !hex_decode(want, wb, sizeof wb, &wl) || wl != 32) {
                BAD(ld, "chip.json: sha256 of %s is not 64 hex digits", name);
                return DX_ERR_DATA;
            }
            if (!sim_cc_digest("SHA256", f->data, f->len, got, &gl) || gl != 32)
                return DX_ERR_INTERNAL;
            if (memcmp(wb, got, 32) != 0) {
                BAD(ld, "%s: its SHA-256 differs from the one chip.json gives", name);
                return DX_ERR_DATA;
            }
        }
    }
    return DX_OK;
}

/* ---- test values ------------------------------------------------------------ */

static dx_status test_hex(loader *ld, json_t *test, const char *key, uint8_t *out, size_t max,
                          size_t min, size_t *len, bool *set)
{
    json_t *v = json_object_get(test, key);
    size_t n = 0;
    if (!v || json_is_null(v))
        return DX_OK;
    if (!json_is_string(v) || !hex_decode(json_string_value(v), out, max, &n) || n < min) {
        BAD(ld, "chip.json: test.%s must be %zu..%zu bytes of hex", key, min, max);
        return DX_ERR_DATA;
    }
    if (len)
        *len = n;
    *set = true;
    return DX_OK;
}

static dx_status load_test(loader *ld, json_t *root)
{
    json_t *test = json_object_get(root, "test");
    sim_chip *c = ld->chip;
    size_t n = 0;
    dx_status st;

    if (!test || json_is_null(test))
        return DX_OK;
    if (!json_is_object(test)) {
        BAD(ld, "chip.json: \"test\" must be an object");
        return DX_ERR_DATA;
    }
    dxp_log(ld->host, DXP_LOG_WARNING, "chip %s: chip.json fixes the card's random values "
            "(\"test\"): TEST ONLY", ld->dir);
    if ((st = test_hex(ld, test, "rnd_ic", c->test.rnd_ic_v, 8, 8, &n, &c->test.rnd_ic)) ||
        (st = test_hex(ld, test, "k_ic", c->test.k_ic_v, 16, 16, &n, &c->test.k_ic)) ||
        (st = test_hex(ld, test, "pace_nonce", c->test.pace_nonce_v, 16, 8,
                       &c->test.pace_nonce_len, &c->test.pace_nonce)) ||
        (st = test_hex(ld, test, "pace_map_sk", c->test.pace_map_sk_v, 66, 1,
                       &c->test.pace_map_sk_len, &c->test.pace_map_sk)) ||
        (st = test_hex(ld, test, "pace_eph_sk", c->test.pace_eph_sk_v, 66, 1,
                       &c->test.pace_eph_sk_len, &c->test.pace_eph_sk)))
        return st;
    return DX_OK;
}

/* ---- the whole chip ----------------------------------------------------------- */

dx_status sim_chip_load(const dxp_host *host, const char *dir, sim_chip **out)
{
    char path[CHIP_PATH_MAX];
    json_error_t jerr;
    json_t *root = NULL, *v;
    struct stat st_;
    sim_chip *c;
    loader ld = {host, dir, NULL};
    dx_status st = DX_ERR_DATA;
    const char *s;

    *out = NULL;
    if (!join(path, sizeof path, dir, "chip.json")) {
        dxp_log(host, DXP_LOG_ERROR, "chip %s: path too long", dir);
        return DX_ERR_DATA;
    }
    if (stat(path, &st_) != 0 && errno == ENOENT) {
        dxp_log(host, DXP_LOG_DEBUG, "no chip: %s does not exist", path);
        return DX_ERR_NOT_FOUND;
    }
    if (!(c = calloc(1, sizeof *c)) || !(c->dir = strdup(dir))) {
        free(c);
        return DX_ERR_NO_MEMORY;
    }
    ld.chip = c;
    if (!(root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr))) {
        BAD(&ld, "chip.json: line %d: %s", jerr.line, jerr.text);
        goto fail;
    }
    if (!json_is_object(root) || !(s = json_string_value(json_object_get(root, "format"))) ||
        strcmp(s, "docex.chip/1") != 0) {
        BAD(&ld, "chip.json: not a \"docex.chip/1\" document");
        goto fail;
    }
    v = json_object_get(root, "bac");
    if (v && !json_is_boolean(v)) {
        BAD(&ld, "chip.json: \"bac\" must be true or false");
        goto fail;
    }
    c->bac = !v || json_is_true(v);
    v = json_object_get(root, "extended_length");
    if (v && !json_is_boolean(v)) {
        BAD(&ld, "chip.json: \"extended_length\" must be true or false");
        goto fail;
    }
    c->extended_length = !v || json_is_true(v);
    v = json_object_get(root, "can");
    if (v && !json_is_null(v)) {
        s = json_string_value(v);
        if (!s || !*s || strlen(s) >= sizeof c->can) {
            BAD(&ld, "chip.json: \"can\" must be a string of 1 to %zu characters",
                sizeof c->can - 1);
            goto fail;
        }
        snprintf(c->can, sizeof c->can, "%s", s);
    }
    v = json_object_get(root, "atr");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            !hex_decode(json_string_value(v), c->atr, sizeof c->atr, &c->atr_len) ||
            c->atr_len < 2) {
            BAD(&ld, "chip.json: \"atr\" must be 2 to %d bytes of hex", SIM_CHIP_ATR_MAX);
            goto fail;
        }
    } else {
        /* PC/SC part 3 ATR of an ISO 14443-4 card with no historical bytes */
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        memcpy(c->atr, atr, sizeof atr);
        c->atr_len = sizeof atr;
    }
    if ((st = load_mrz(&ld, root)) != DX_OK || (st = load_pace(&ld, root)) != DX_OK ||
        (st = load_files(&ld, root)) != DX_OK || (st = load_aa(&ld, root)) != DX_OK ||
        (st = load_ca(&ld, root)) != DX_OK || (st = load_test(&ld, root)) != DX_OK)
        goto fail;
    json_decref(root);
    dxp_log(host, DXP_LOG_DEBUG, "chip %s: %zu files, BAC %s, %zu PACE, AA %s, CA %s", dir,
            c->n_files, c->bac ? "yes" : "no", c->n_pace,
            c->aa_key ? (c->aa_rsa ? "rsa" : "ecdsa") : "no", c->ca_key ? "yes" : "no");
    *out = c;
    return DX_OK;

fail:
    if (st == DX_OK)
        st = DX_ERR_DATA;
    json_decref(root);
    sim_chip_free(c);
    return st;
}

void sim_chip_free(sim_chip *chip)
{
    if (!chip)
        return;
    for (size_t i = 0; i < chip->n_files; i++)
        free(chip->files[i].data);
    EVP_PKEY_free(chip->aa_key);
    EVP_PKEY_free(chip->ca_key);
    free(chip->dir);
    OPENSSL_cleanse(chip, sizeof *chip);
    free(chip);
}
