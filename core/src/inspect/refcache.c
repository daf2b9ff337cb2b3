/* Decoded reference pages, kept on disk between inspections.
 *
 * A specimen's reference images are the same PNGs in every inspection, and
 * turning one into a page image (decode, then a float per sample: 18 MB for a
 * 300 dpi RGB page) took about a fifth of an inspection's CPU time, most of
 * it in fresh memory the kernel had to clear.  The page made from a PNG is
 * written here once, and later inspections map the file: its pages come from
 * the page cache, only the ones read, and nothing is decoded.
 *
 * A page is named by what made it: the SHA-256 of the PNG's bytes (which the
 * inspection computes anyway: the evidence names it), what the specimen says
 * of its pages, and the build of docex that decoded it (the GNU build ID of
 * the library, else its version), so a docex whose decoding or resampling
 * changed never reads an older one.  Storing a page deletes the pages of the
 * same PNG made by other builds, and temporary files left by a run that was
 * killed while storing.
 *
 * The directory is $DOCEX_CACHE_DIR ("off": no cache), else
 * $XDG_CACHE_HOME/docex, else $HOME/.cache/docex; the files are in
 * references/ there.  A file is read only when it and that directory belong
 * to this user and no one else may write them; when what it holds is what it
 * is asked for (format, key, exact size, sample count, geometry); anything
 * else is ignored and made again, so the cache can be deleted at any time.
 * The samples themselves are not checked again when read: the cache is
 * trusted as the user's own files are, and a file cut short by hand while an
 * inspection maps it stops that inspection (SIGBUS).
 *
 * A file is a 64 KiB header block (a page on every Linux page size; the
 * header, then a hole), then the
 * page's w * h * ch floats in this machine's byte order (the header says
 * which).  It is written to a temporary name, synced, then renamed: a reader
 * sees a whole file or none, also after a power cut. */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/host_internal.h"
#include "inspect/inspect_internal.h"

#define HEADER_BYTES 65536
#define MAGIC "DXREFPG2"
#define ORDER_MARK 0x01020304u
/* a temporary file older than this was left by a run that died */
#define STALE_TMP_S 600

typedef struct cache_header {
    char magic[8];
    uint32_t order; /* ORDER_MARK as this machine writes it */
    uint32_t w, h, ch;
    double dpi, x_mm, y_mm;
    uint64_t n_outside;
    char key[DX_INS_CACHE_KEY];
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

/* ---- the build ---------------------------------------------------------- */

static int build_id_of(struct dl_phdr_info *info, size_t size, void *arg)
{
    char *out = arg;
    uintptr_t self = (uintptr_t)&build_id_of;
    bool mine = false;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum && !mine; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        mine = ph->p_type == PT_LOAD && self >= lo && self - lo < ph->p_memsz;
    }
    if (!mine)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (end - p >= (ptrdiff_t)sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            size_t name = (n->n_namesz + 3u) & ~3u, desc = (n->n_descsz + 3u) & ~3u;
            const uint8_t *d = p + sizeof *n + name;
            if ((size_t)(end - p) < sizeof *n + name + desc)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(p + sizeof *n, "GNU", 4) == 0 &&
                n->n_descsz > 0 && n->n_descsz <= 32) {
                for (size_t k = 0; k < n->n_descsz; k++)
                    snprintf(out + 2 * k, 3, "%02x", d[k]);
                return 1;
            }
            p += sizeof *n + name + desc;
        }
    }
    return 1; /* this object, without an ID */
}

/* The build of the code that decodes and resamples: the GNU build ID of the
 * object this is linked into, else docex's version. */
static char build_id[80];
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

static void build_init(void)
{
    build_id[0] = '\0';
    dl_iterate_phdr(build_id_of, build_id);
    if (!build_id[0])
        snprintf(build_id, sizeof build_id, "v%s", dx_version());
}

const char *dx_ins_cache_build(void)
{
    pthread_once(&build_once, build_init);
    return build_id;
}

/* ---- files -------------------------------------------------------------- */

/* The directory of the pages, false when there is no cache. */
static bool pages_dir(char *out, size_t size)
{
    char dir[4096];
    return dx_ins_cache_dir(dir, sizeof dir) && snprintf(out, size, "%s/references", dir) < (int)size;
}

/* Owned by this user, written by no one else. */
static bool own(const struct stat *sb)
{
    return sb->st_uid == geteuid() && !(sb->st_mode & (S_IWGRP | S_IWOTH));
}

/* The page size divides the header: the floats can be mapped where they are. */
static bool mappable(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 && HEADER_BYTES % page == 0;
}

bool dx_ins_refcache_load(const char *key, dx_reg_image *out)
{
    char dir[4200], path[4400];
    cache_header h;
    struct stat sb, db;
    bool ok = false;
    int fd;
    memset(out, 0, sizeof *out);
    if (strlen(key) >= sizeof h.key || !mappable() || !pages_dir(dir, sizeof dir) ||
        snprintf(path, sizeof path, "%s/%s.page", dir, key) >= (int)sizeof path ||
        stat(dir, &db) != 0 || !S_ISDIR(db.st_mode) || !own(&db) ||
        (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
        return false;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && own(&sb) &&
        pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && memcmp(h.magic, MAGIC, sizeof h.magic) == 0 &&
        h.order == ORDER_MARK && memchr(h.key, '\0', sizeof h.key) && strcmp(h.key, key) == 0 &&
        (h.ch == 1 || h.ch == 3) && h.w > 0 && h.h > 0 && h.w <= 1u << 15 && h.h <= 1u << 15 &&
        h.dpi >= 10 && h.dpi <= 2400 && isfinite(h.x_mm) && isfinite(h.y_mm) &&
        h.n_outside <= (uint64_t)h.w * h.h) {
        uint64_t bytes = (uint64_t)h.w * h.h * h.ch * sizeof(float);
        if (bytes <= SIZE_MAX && (uint64_t)sb.st_size == HEADER_BYTES + bytes) {
            /* private: a write to the page (none is made) would not reach the file */
            void *m = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, HEADER_BYTES);
            if (m != MAP_FAILED) {
                out->px = m;
                out->mapped = (size_t)bytes;
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

static bool ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), k = strlen(end);
    return n >= k && strcmp(s + n - k, end) == 0;
}

/* After `key` was stored: the pages of the same PNG and geometry made by
 * other builds, and temporary files of it left by runs that died. */
static void prune(const char *dir, const char *key)
{
    const char *at = strrchr(key, '@');
    size_t stem = at ? (size_t)(at - key) + 1 : strlen(key);
    char name[4600];
    DIR *d = opendir(dir);
    struct dirent *e;
    time_t now = time(NULL);
    if (!d)
        return;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        struct stat sb;
        bool page = strncmp(n, key, stem) == 0 && ends_with(n, ".page"),
             tmp = n[0] == '.' && strncmp(n + 1, key, stem) == 0;
        if (!page && !tmp)
            continue;
        if (page && strncmp(n, key, strlen(key)) == 0 && strcmp(n + strlen(key), ".page") == 0)
            continue; /* the one just stored */
        if (snprintf(name, sizeof name, "%s/%s", dir, n) >= (int)sizeof name ||
            lstat(name, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (page || now - sb.st_mtime > STALE_TMP_S)
            unlink(name);
    }
    closedir(d);
}

bool dx_ins_refcache_store(const char *key, const dx_reg_image *img)
{
    char dir[4200], path[4400], tmp[4500];
    cache_header h;
    dx_error e = {0};
    struct stat db;
    int fd;
    bool ok;
    if (strlen(key) >= sizeof h.key || !mappable() || !img->px || img->w <= 0 || img->h <= 0 ||
        !pages_dir(dir, sizeof dir) || snprintf(path, sizeof path, "%s/%s.page", dir, key) >= (int)sizeof path)
        return false;
    if (dx_mkdir_p(dir, &e) != DX_OK || stat(dir, &db) != 0 || !own(&db) ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, key) >= (int)sizeof tmp || (fd = mkstemp(tmp)) < 0)
        return false;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof h.magic);
    h.order = ORDER_MARK;
    h.w = (uint32_t)img->w, h.h = (uint32_t)img->h, h.ch = (uint32_t)img->ch;
    h.dpi = img->dpi, h.x_mm = img->x_mm, h.y_mm = img->y_mm;
    h.n_outside = img->n_outside;
    dx_strlcpy(h.key, key, sizeof h.key);
    /* the rest of the header block is a hole: zeros when read */
    ok = write_all(fd, &h, sizeof h) && lseek(fd, HEADER_BYTES, SEEK_SET) == HEADER_BYTES &&
         write_all(fd, img->px, (size_t)img->w * img->h * img->ch * sizeof(float)) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    else
        prune(dir, key);
    return ok;
}
