/* bench-chip: reading an ePassport chip — APDUs, bytes on the wire and time
 * to read EF.COM, DG1, a ~20 KB DG2 and EF.SOD, docex's way (extended-length
 * READ BINARY when reader and chip take it) against the way most open-source
 * readers do it (short APDUs, 0xDF bytes a READ BINARY), in the same run on
 * the same chip; and the time of passive authentication.
 *
 *   bench-chip [--reps N] [--dg2-kb K] [--keep DIR]
 *
 * The chip is the sim plugin's (in process, through the vendor ABI and
 * docex's host), serving a Utopia chip made by docex synth's builder with a
 * portrait whose JPEG makes DG2 about K KB (default 20).  Both reads open the
 * chip the same way (PACE, ECDH-GM AES-128 on brainpoolP256r1).  Besides the
 * measured host time, the link time is modelled for ISO/IEC 14443 at 106 and
 * 424 kbit/s: per APDU exchange 2 ms (frame delay, guard times, the chip's
 * processing), plus every byte sent and received at 10 bits a byte (start,
 * stop, parity and framing) — the model is stated because the simulated chip
 * has no radio. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "docex/chip.h"
#include "docex/docex.h"
#include "icao/pa.h"
#include "icao/trust.h"
#include "synth/chip_build.h"
#include "synth/holder.h"
#include "synth/render.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct mode {
    const char *name;
    dx_chip_extended ext;
    unsigned apdus;
    uint64_t sent, received;
    double ms;
} mode;

/* the modelled contactless link: per exchange 2 ms, 10 bits a byte */
static double link_ms(const mode *m, double kbit)
{
    return m->apdus * 2.0 + (double)(m->sent + m->received) * 10.0 / kbit;
}

static size_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

/* A chip whose DG2 is about `kb` KB: the portrait's JPEG quality searched. */
static int make_chip(const char *dir, int kb, const char *trust, char mrz[3][45])
{
    dx_synth_holder h;
    dx_synth_holder_default(&h);
    size_t n = 0;
    dx_error err = {0};
    if (dx_synth_mrz_compose(&h, DX_MRZ_TD3, mrz, &n, &err) != DX_OK)
        return -1;
    const uint32_t w = 480, hgt = 640;
    uint8_t *rgb = malloc((size_t)w * hgt * 3);
    if (!rgb || dx_synth_portrait(dx_synth_face_seed(&h), w, hgt, rgb, &err) != DX_OK)
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/EF.DG2", dir);
    int lo = 10, hi = 100, best = 75;
    for (int iter = 0; iter < 8; iter++) {
        dx_synth_chip_options o;
        dx_synth_chip_options_default(&o);
        o.holder = &h;
        memcpy(o.dg1_mrz, mrz, 2 * 45);
        o.dg1_mrz_lines = 2;
        o.portrait_rgb = rgb;
        o.portrait_width = w;
        o.portrait_height = hgt;
        o.jpeg_quality = (lo + hi) / 2;
        o.pace = true;
        o.trust_dir = trust;
        o.seed = 1;
        if (dx_synth_chip_write(&o, dir, &err) != DX_OK) {
            fprintf(stderr, "bench-chip: %s\n", err.message);
            free(rgb);
            return -1;
        }
        size_t sz = file_size(path);
        best = o.jpeg_quality;
        if (sz > (size_t)kb * 1024 + 512)
            hi = o.jpeg_quality;
        else if (sz + 512 < (size_t)kb * 1024)
            lo = o.jpeg_quality;
        else
            break;
    }
    free(rgb);
    return best;
}

int main(int argc, char **argv)
{
    int reps = 20, kb = 20;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dg2-kb") && i + 1 < argc) kb = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep") && i + 1 < argc) keep = argv[++i];
        else {
            fprintf(stderr, "usage: bench-chip [--reps N] [--dg2-kb K] [--keep DIR]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 1000 || kb < 1 || kb > 200)
        return 2;
    char tmpl[] = "/tmp/docex-bench-chip-XXXXXX";
    const char *dir = keep ? keep : mkdtemp(tmpl);
    if (!dir)
        return 2;
    mkdir(dir, 0755);
    char mrz[3][45];
    const char *trust = DOCEX_TRUST_DIR;
    int q = make_chip(dir, kb, trust, mrz);
    if (q < 0)
        return 1;
    char path[4200];
    snprintf(path, sizeof path, "%s/EF.DG2", dir);
    printf("chip: docex synth's Utopia chip, DG2 %zu bytes (JPEG quality %d), served by sim:chip0\n",
           file_size(path), q);

    char settings[4300];
    snprintf(settings, sizeof settings, "sim.chip=%s", dir);
    dx_host_options ho = {.plugin_path = DOCEX_PLUGIN_DIR, .settings = settings};
    dx_host *host = NULL;
    dx_device *dev = NULL;
    dx_error err = {0};
    if (dx_host_new(&ho, &host, &err) != DX_OK || dx_device_open(host, "sim:chip0", &dev, &err)) {
        fprintf(stderr, "bench-chip: %s\n", err.message);
        return 1;
    }
    dx_chip_access access = {0};
    const char *lines[2] = {mrz[0], mrz[1]};
    if (dx_chip_access_from_mrz(lines, 2, &access, &err) != DX_OK)
        return 1;
    static const int dgs[] = {1, 2};
    mode modes[2] = {{"docex (extended length)", DX_CHIP_EXTENDED_AUTO, 0, 0, 0, 0},
                     {"short APDUs, 0xDF a read", DX_CHIP_EXTENDED_OFF, 0, 0, 0, 0}};
    dx_chip_result *keep_r = NULL;
    double *times[2] = {calloc((size_t)reps, sizeof(double)), calloc((size_t)reps, sizeof(double))};
    /* the two ways alternate, so that warm-up and drift fall on both alike */
    for (int r = 0; r < reps; r++) {
        for (int m = 0; m < 2; m++) {
            double *t = times[m];
            dx_chip_read_options o = {.access = &access, .no_aa = true, .extended = modes[m].ext,
                                      .short_read = 0xDF, .only_dgs = dgs, .n_only_dgs = 2};
            dx_chip_result *res = NULL;
            double t0 = now_ms();
            if (dx_chip_read(dev, &o, &res, &err) != DX_OK) {
                fprintf(stderr, "bench-chip: %s\n", err.message);
                return 1;
            }
            t[r] = now_ms() - t0;
            /* the files alone: EF.COM, EF.SOD, DG1, DG2 (access control apart) */
            unsigned apdus = 0;
            for (size_t i = 0; i < dx_chip_result_file_count(res); i++) {
                const dx_chip_file *f = dx_chip_result_file_at(res, i);
                if (strcmp(f->name, "EF.CardAccess") != 0)
                    apdus += f->apdus;
            }
            char *js = dx_chip_result_to_json(res);
            /* bytes of the whole read from chip.json's link record */
            const char *p = js ? strstr(js, "\"bytes_sent\": ") : NULL;
            const char *q2 = js ? strstr(js, "\"bytes_received\": ") : NULL;
            modes[m].apdus = apdus;
            modes[m].sent = p ? strtoull(p + 14, NULL, 10) : 0;
            modes[m].received = q2 ? strtoull(q2 + 18, NULL, 10) : 0;
            free(js);
            if (m == 0 && r == 0)
                keep_r = res;
            else
                dx_chip_result_free(res);
        }
    }
    for (int m = 0; m < 2; m++) {
        modes[m].ms = median(times[m], reps);
        free(times[m]);
    }
    printf("\nread of EF.COM, EF.SOD, DG1, DG2 (PACE included in bytes and time), median of %d:\n",
           reps);
    printf("  %-26s %7s %9s %9s %9s %12s %12s\n", "", "APDUs*", "sent", "received", "host ms",
           "link@106k ms", "link@424k ms");
    for (int m = 0; m < 2; m++)
        printf("  %-26s %7u %9llu %9llu %9.2f %12.0f %12.0f\n", modes[m].name, modes[m].apdus,
               (unsigned long long)modes[m].sent, (unsigned long long)modes[m].received,
               modes[m].ms, link_ms(&modes[m], 106), link_ms(&modes[m], 424));
    printf("  ratio (short / docex)     %7.2f %9.2f %9.2f %9.2f %12.2f %12.2f\n",
           (double)modes[1].apdus / modes[0].apdus, (double)modes[1].sent / modes[0].sent,
           (double)modes[1].received / modes[0].received, modes[1].ms / modes[0].ms,
           link_ms(&modes[1], 106) / link_ms(&modes[0], 106),
           link_ms(&modes[1], 424) / link_ms(&modes[0], 424));
    printf("  * APDUs of the file reads (SELECT + READ BINARY); bytes and times are of the "
           "whole read\n");

    /* passive authentication of what was read */
    dx_trust_store *ts = NULL;
    double t0 = now_ms();
    if (dx_trust_store_load(trust, &ts, &err) != DX_OK) {
        fprintf(stderr, "bench-chip: %s\n", err.message);
        return 1;
    }
    double load = now_ms() - t0;
    const dx_chip_file *sod = dx_chip_result_file(keep_r, "EF.SOD");
    dx_pa_dg pdgs[2];
    for (int i = 0; i < 2; i++) {
        const dx_chip_file *f = dx_chip_result_file(keep_r, i ? "EF.DG2" : "EF.DG1");
        pdgs[i] = (dx_pa_dg){i + 1, f->data, f->len};
    }
    int n_pa = reps * 10;
    double *t = calloc((size_t)n_pa, sizeof *t);
    dx_pa_report *rep = calloc(1, sizeof *rep);
    for (int r = 0; r < n_pa; r++) {
        double t1 = now_ms();
        dx_pa_verify(sod->data, sod->len, pdgs, 2, ts, 0, rep, &err);
        t[r] = now_ms() - t1;
    }
    printf("\npassive authentication (SOD signature, DS chain, validity, CRL, 2 DG hashes): "
           "%.3f ms median of %d (%s); trust store load %.2f ms\n",
           median(t, n_pa), n_pa, dx_pa_result_name(rep->overall), load);
    free(t);
    free(rep);
    dx_trust_store_free(ts);
    dx_chip_result_free(keep_r);
    dx_device_free(dev);
    dx_host_free(host);
    if (!keep) {
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench-chip: could not remove %s\n", dir);
    }
    return 0;
}
