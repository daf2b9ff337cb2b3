/* Files named by outside input: opened only when regular, hashed with
 * SHA-256 (the capture records, chip files, specimen images use these). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host/host_internal.h"

FILE *dx_file_open_regular(const char *path, dx_status *st, dx_error *err)
{
    struct stat sb;
    /* O_NONBLOCK: a FIFO in place of a file must not hang the caller */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        *st = dx_error_set(err, e == ENOENT || e == ENOTDIR ? DX_ERR_NOT_FOUND : DX_ERR_IO,
                           "%s: cannot open: %s", path, strerror(e));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        *st = dx_error_set(err, DX_ERR_DATA, "%s: not a regular file", path);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        *st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    return f;
}

dx_status dx_file_read(const char *path, size_t max, uint8_t **data, size_t *len, dx_error *err)
{
    dx_status st;
    struct stat sb;
    FILE *f = dx_file_open_regular(path, &st, err);
    *data = NULL;
    *len = 0;
    if (!f)
        return st;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 || (uint64_t)sb.st_size > max) {
        fclose(f);
        return dx_error_set(err, DX_ERR_DATA, "%s: larger than %zu MB", path, max >> 20);
    }
    size_t n = (size_t)sb.st_size;
    if (!(*data = malloc(n ? n : 1))) {
        fclose(f);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    if (fread(*data, 1, n, f) != n) {
        free(*data);
        *data = NULL;
        fclose(f);
        return dx_error_set(err, DX_ERR_IO, "%s: read error (the file changed while it was read?)", path);
    }
    fclose(f);
    *len = n;
    return DX_OK;
}

void dx_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return;
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

dx_status dx_file_sha256(const char *path, char out[65], dx_error *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char buf[1 << 16], md[32];
    unsigned int mdlen = 0;
    dx_status st = DX_OK;
    FILE *f = dx_file_open_regular(path, &st, err);
    if (!f)
        return st;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: SHA-256 unavailable", path);
        goto done;
    }
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (!EVP_DigestUpdate(c, buf, n)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "%s: SHA-256 failed", path);
            goto done;
        }
    if (ferror(f)) {
        st = dx_error_set(err, DX_ERR_IO, "%s: read error", path);
        goto done;
    }
    if (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: SHA-256 failed", path);
        goto done;
    }
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
done:
    EVP_MD_CTX_free(c);
    fclose(f);
    return st;
}

dx_status dx_mkdir_p(const char *dir, dx_error *err)
{
    char buf[4300];
    if (!dx_strlcpy(buf, dir, sizeof buf))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%.64s...: path too long", dir);
    for (char *q = buf + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return dx_error_set(err, DX_ERR_IO, "%s: cannot create: %s", buf, strerror(errno));
            *q = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return dx_error_set(err, DX_ERR_IO, "%s: cannot create: %s", buf, strerror(errno));
    return DX_OK;
}
