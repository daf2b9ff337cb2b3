/* Fuzz target: the reference cache's reader (core/src/inspect/refcache.c).
 * Its files are the user's own, but they are still read as outside bytes: a
 * file another docex wrote, cut short, damaged or made by hand.
 *
 * Input: the bytes of a cache file.  They are written as the page of a fixed
 * key in a cache directory of this process, and read back.  Promises checked:
 *   - dx_ins_refcache_load either refuses the file (false, the image empty)
 *     or gives an image whose geometry is the header's and whose samples fill
 *     the rest of the file exactly: 1 or 3 channels, 1..32768 pixels a side,
 *     finite dpi within 10..2400, n_outside at most w x h; every sample is
 *     read (ASan: nothing is mapped short);
 *   - a page stored under the key (dx_ins_refcache_store) reads back the
 *     same, pixel for pixel. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "inspect/inspect_internal.h"

#define KEY "fuzz-0000-1x1@fuzz"

static char dir[256], page[400];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* the cache directory goes with the process (whatever else is in it) */
static void cleanup(void)
{
    if (dir[0] && nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "fuzz_refcache: %s left behind\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char tmpl[] = "/tmp/docex-fuzz-refcache-XXXXXX";
    if (!mkdtemp(tmpl))
        abort();
    snprintf(dir, sizeof dir, "%s", tmpl);
    atexit(cleanup);
    setenv("DOCEX_CACHE_DIR", dir, 1);
    snprintf(page, sizeof page, "%s/references", dir);
    if (mkdir(page, 0700) != 0)
        abort();
    snprintf(page, sizeof page, "%s/references/%s.page", dir, KEY);
    return 0;
}

static void put(const uint8_t *data, size_t size)
{
    FILE *f = fopen(page, "wb");
    FUZZ_ASSERT(f && (size == 0 || fwrite(data, 1, size, f) == size) && fclose(f) == 0, "cannot write %s", page);
    chmod(page, 0600);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dx_reg_image im;
    if (!dir[0])
        LLVMFuzzerInitialize(NULL, NULL);
    put(data, size);
    if (dx_ins_refcache_load(KEY, &im)) {
        size_t n = (size_t)im.w * im.h * im.ch;
        FUZZ_ASSERT(im.px && (im.ch == 1 || im.ch == 3) && im.w >= 1 && im.h >= 1 && im.w <= 32768 &&
                        im.h <= 32768 && im.dpi >= 10 && im.dpi <= 2400 &&
                        im.n_outside <= (size_t)im.w * im.h,
                    "accepted %dx%dx%d at %g dpi, %zu outside", im.w, im.h, im.ch, im.dpi, im.n_outside);
        FUZZ_ASSERT(im.mapped == n * sizeof(float) && 65536 + im.mapped == size, "%zu samples mapped from %zu bytes",
                    n, size);
        volatile float sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += im.px[i];
        (void)sum;
        /* stored again under the key, it reads back the same */
        dx_reg_image back;
        float *copy = malloc(im.mapped);
        FUZZ_ASSERT(copy, "out of memory");
        memcpy(copy, im.px, im.mapped);
        dx_reg_image mine = im;
        mine.px = copy, mine.mapped = 0;
        dx_reg_image_free(&im);
        FUZZ_ASSERT(dx_ins_refcache_store(KEY, &mine), "a page read could not be stored");
        FUZZ_ASSERT(dx_ins_refcache_load(KEY, &back), "a page stored could not be read");
        FUZZ_ASSERT(back.w == mine.w && back.h == mine.h && back.ch == mine.ch && back.dpi == mine.dpi &&
                        back.n_outside == mine.n_outside && memcmp(back.px, copy, n * sizeof(float)) == 0,
                    "a page stored reads back otherwise");
        dx_reg_image_free(&back);
        free(copy);
    } else {
        FUZZ_ASSERT(!im.px && im.w == 0 && im.mapped == 0, "refused, yet an image was given");
    }
    return 0;
}
