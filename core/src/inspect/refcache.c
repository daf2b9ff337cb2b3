/* Decoded reference pages, kept on disk between inspections.
 *
 * A specimen's reference images are the same PNGs in every inspection, and
 * turning one into a page image (decode, then a float per sample: 18 MB for a
 * 300 dpi RGB page) took about a fifth of an inspection's CPU time, most of
 * it in fresh memory the kernel had to clear.  The page made from a PNG is
 * written here once, under the SHA-256 of the PNG's bytes (which the
 * inspection computes anyway: the evidence names it), and later inspections
 * map the file: its pages come from the page cache, only the ones read, and
 * nothing is decoded.
 *
 * The directory is $DOCEX_CACHE_DIR ("off": no cache), else
 * $XDG_CACHE_HOME/docex, else $HOME/.cache/docex; the files are in
 * references/ there.  What a file holds is checked against what it is asked
 * for (format version, key, size, sample count) and anything else is
 * ignored and made again: the cache can be deleted at any time.  It is
 * trusted as the installation is, not as outside input: whoever can write it
 * can write the specimens and the program too.
 *
 * A file is a 4096-byte header, then the page's w * h * ch floats in this
 * machine's byte order (the header says which).  It is written to a
 * temporary name, synced, then renamed: a reader sees a whole file or none,
 * also after a power cut. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host_internal.h"
#include "inspect/inspect_internal.h"

#define HEADER_BYTES 4096
#define MAGIC "DXREFPG1"
#define ORDER_MARK 0x01020304u

typedef struct cache_header {
    char magic[8];
    uint32_t order; /* ORDER_MARK as this machine writes it */
    uint32_t w, h, ch;
    double dpi, x_mm, y_mm;
    uint64_t n_outside;
    char key[160];
} cache_header;

_Static_assert(sizeof(cache_header) <= HEADER_BYTES, "the header fits its block");

bool dx_ins_cache_dir(char *out, size_t size)
{
    const char *d = getenv("DOCEX_CACHE_DIR"), *x;
    if (d && *d) {
        if (strcmp(d, "off") == 0)
            return false;
        return dx_strlcpy(out, d, size);
    }
    if ((x = getenv("XDG_CACHE_HOME")) && x[0] == '/')
        return snprintf(out, size, "%s/docex", x) < (int)size;
    if ((x = getenv("HOME")) && x[0] == '/')
        return snprintf(out, size, "%s/.cache/docex", x) < (int)size;
    return false;
}

/* The file of `key` in the cache, false when there is no cache. */
static bool cache_path(const char *key, char *out, size_t size)
{
    char dir[4096];
    return dx_ins_cache_dir(dir, sizeof dir) && snprintf(out, size, "%s/references/%s.page", dir, key) < (int)size;
}

/* The page size divides the header: the floats can be mapped where they are. */
static bool mappable(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 && HEADER_BYTES % page == 0;
}

bool dx_ins_refcache_load(const char *key, dx_reg_image *out)
{
    char path[4400];
    cache_header h;
    struct stat sb;
    bool ok = false;
    int fd;
    memset(out, 0, sizeof *out);
    if (strlen(key) >= sizeof h.key || !mappable() || !cache_path(key, path, sizeof path) ||
        (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
        return false;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
        memcmp(h.magic, MAGIC, sizeof h.magic) == 0 && h.order == ORDER_MARK &&
        memchr(h.key, '\0', sizeof h.key) && strcmp(h.key, key) == 0 && (h.ch == 1 || h.ch == 3) &&
        h.w > 0 && h.h > 0 && h.w <= 1u << 15 && h.h <= 1u << 15 && h.dpi >= 10 && h.dpi <= 2400) {
        size_t bytes = (size_t)h.w * h.h * h.ch * sizeof(float);
        if ((uint64_t)sb.st_size == HEADER_BYTES + (uint64_t)bytes) {
            /* private: a write to the page (none is made) would not reach the file */
            void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, HEADER_BYTES);
            if (m != MAP_FAILED) {
                out->px = m;
                out->mapped = bytes;
                out->w = (int)h.w, out->h = (int)h.h, out->ch = (int)h.ch;
                out->dpi = h.dpi, out->x_mm = h.x_mm, out->y_mm = h.y_mm;
                out->n_outside = (size_t)h.n_outside;
                ok = true;
            }
        }
    }
    close(fd);
    return ok;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = write(fd, b, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k, n -= (size_t)k;
    }
    return true;
}

bool dx_ins_refcache_store(const char *key, const dx_reg_image *img)
{
    char path[4400], dir[4400], tmp[4500];
    cache_header h;
    static const uint8_t zero[HEADER_BYTES];
    dx_error e = {0};
    int fd;
    bool ok;
    if (strlen(key) >= sizeof h.key || !mappable() || !img->px || img->w <= 0 || img->h <= 0 ||
        !cache_path(key, path, sizeof path))
        return false;
    dx_strlcpy(dir, path, sizeof dir);
    *strrchr(dir, '/') = '\0';
    if (dx_mkdir_p(dir, &e) != DX_OK ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, key) >= (int)sizeof tmp || (fd = mkstemp(tmp)) < 0)
        return false;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof h.magic);
    h.order = ORDER_MARK;
    h.w = (uint32_t)img->w, h.h = (uint32_t)img->h, h.ch = (uint32_t)img->ch;
    h.dpi = img->dpi, h.x_mm = img->x_mm, h.y_mm = img->y_mm;
    h.n_outside = img->n_outside;
    dx_strlcpy(h.key, key, sizeof h.key);
    ok = write_all(fd, &h, sizeof h) && write_all(fd, zero, HEADER_BYTES - sizeof h) &&
         write_all(fd, img->px, (size_t)img->w * img->h * img->ch * sizeof(float)) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    return ok;
}
