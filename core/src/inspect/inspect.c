/* dx_inspect_run(): captures, MRZ, specimen, registration, chip, rules,
 * evidence, findings.json and the reports (see inspect.h for the steps). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include "capture/manifest.h"
#include "host/host_internal.h"
#include "inspect/inspect_internal.h"
#include "report/report_internal.h"
#include "report/report.h"
#include "synth/render.h"
#include "synth/viz.h"

/* Margin around a region in the evidence crops, mm. */
#define EVIDENCE_MARGIN_MM 2.0
/* Evidence crops are written at this resolution (or the measurement's, if lower). */
#define EVIDENCE_DPI 200.0
#define EVIDENCE_MAX_PX 700.0

void dx_ins_progress(dx_inspection *in, const char *stage, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dx_log(DX_CAT_INSPECT, DX_LOG_INFO, "%s: %s", stage, msg);
    if (in->o->progress)
        in->o->progress(stage, msg, in->o->progress_user);
}

bool dx_ins_interrupted(dx_inspection *in)
{
    return in->o->interrupt && *in->o->interrupt;
}

static int32_t today_utc(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ---- the case directory ----------------------------------------------- */

/* Remove `dir` and the directories under it (to `depth` levels) that hold
 * nothing but empty directories; rmdir() never removes a file. */
static void rmdir_empty(const char *dir, int depth)
{
    DIR *d = depth > 0 ? opendir(dir) : NULL;
    struct dirent *e;
    if (d) {
        while ((e = readdir(d)))
            if (e->d_name[0] != '.' || (e->d_name[1] && (e->d_name[1] != '.' || e->d_name[2]))) {
                char sub[4400];
                dx_ins_fmt(sub, sizeof sub, "%s/%s", dir, e->d_name);
                if (e->d_type == DT_DIR)
                    rmdir_empty(sub, depth - 1);
            }
        closedir(d);
    }
    rmdir(dir);
}

static dx_status case_dir_prepare(const char *dir, bool *created, dx_error *err)
{
    DIR *d;
    struct dirent *e;
    struct stat sb;
    *created = stat(dir, &sb) != 0;
    dx_status st = dx_mkdir_p(dir, err);
    if (st != DX_OK)
        return st;
    if (!(d = opendir(dir)))
        return dx_error_set(err, DX_ERR_IO, "%s: cannot open: %s", dir, strerror(errno));
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            char name[256];
            dx_strlcpy(name, e->d_name, sizeof name); /* e dies with closedir */
            closedir(d);
            return dx_error_set(err, DX_ERR_INVALID_ARG,
                                "%s: the case directory is not empty (%s): an inspection never "
                                "writes over another; give a new directory",
                                dir, name);
        }
    closedir(d);
    return DX_OK;
}

/* ---- the MRZ -------------------------------------------------------------- */

/* The MRZ of the sides from `first` on (the earlier ones showed none). */
static void read_mrz(dx_inspection *in, int32_t today, size_t first)
{
    static const char *const order[] = {"ir870", "ir950", "ir730", "white"};
    dx_mrz_options po = {.today = today};
    for (size_t s = first; s < in->n_sides && !in->have_mrz; s++) {
        for (size_t k = 0; k < sizeof order / sizeof order[0] && !in->have_mrz; k++) {
            ins_light *l = dx_ins_light(in, s, order[k]);
            dx_error e = {0};
            if (!l || dx_ins_light_load(in, l, &e) != DX_OK)
                continue;
            dx_mrz_read_options ro = {.dpi = l->dpi, .parse = &po};
            dx_status st = dx_mrz_read_image(&l->png.view, &ro, &in->mrz, &e);
            if (st == DX_OK) {
                in->have_mrz = true;
                in->mrz_side = s;
                dx_strlcpy(in->mrz_light, l->name, sizeof in->mrz_light);
                dx_ins_progress(in, "mrz", "%s MRZ read from %s (%s)", dx_mrz_format_name(in->mrz.mrz.format),
                         l->rel, in->mrz.mrz.valid ? "every check digit holds" : "checks fail");
            } else {
                dx_log(DX_CAT_INSPECT, DX_LOG_INFO, "no MRZ in %s: %s", l->rel, e.message);
            }
        }
    }
    if (in->have_mrz)
        return;
    if (in->n_sides == 1)
        dx_ins_progress(in, "mrz", "no MRZ found");
    else if (first + 1 == in->n_sides)
        dx_ins_progress(in, "mrz", "no MRZ found on side %s either", in->sides[first].name);
    else
        dx_ins_progress(in, "mrz", "no MRZ found on any side");
}

static json_t *json_from_text(char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return j;
}

/* ---- the chip ------------------------------------------------------------- */

static int64_t unix_of(int32_t ymd)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = ymd / 10000 - 1900;
    tm.tm_mon = ymd / 100 % 100 - 1;
    tm.tm_mday = ymd % 100;
    tm.tm_hour = 12;
    return (int64_t)timegm(&tm);
}

static bool has_chip_files(const char *dir)
{
    char p[4300];
    struct stat sb;
    dx_ins_fmt(p, sizeof p, "%s/EF.SOD", dir);
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The chip: read from the reader, or the files the source directory holds.
 * Never fails the inspection: what went wrong is in the chip part. */
static void do_chip(dx_inspection *in, dx_host *host, const char *trust, int32_t today, json_t *part)
{
    dx_error e = {0};
    dx_status st = DX_OK;
    char dir[4300], src[4300];
    dx_ins_fmt(dir, sizeof dir, "%s/chip", in->case_dir);
    src[0] = '\0';
    if (in->o->from_dir) {
        dx_ins_fmt(src, sizeof src, "%s/chip", in->o->from_dir);
        if (!has_chip_files(src))
            src[0] = '\0';
    }
    if (in->o->chip_device) {
        dx_chip_access access;
        const char *lines[DX_MRZ_MAX_LINES];
        dx_device *dev = NULL;
        json_object_set_new(part, "device", json_string(in->o->chip_device));
        if (!in->have_mrz) {
            json_object_set_new(part, "message", json_string("no MRZ read: no key to open the chip with"));
            return;
        }
        for (size_t i = 0; i < in->mrz.n_lines; i++)
            lines[i] = in->mrz.lines[i].text;
        if ((st = dx_chip_access_from_mrz(lines, in->mrz.n_lines, &access, &e)) != DX_OK ||
            (st = dx_device_open(host, in->o->chip_device, &dev, &e)) != DX_OK) {
            json_object_set_new(part, "message", json_sprintf("chip: %s", e.message));
            return;
        }
        dx_chip_read_options co;
        memset(&co, 0, sizeof co);
        co.access = &access;
        co.card_timeout_ms = in->o->card_timeout_ms;
        co.interrupt = in->o->interrupt;
        co.printed_mrz = lines;
        co.n_printed_mrz = in->mrz.n_lines;
        dx_ins_progress(in, "chip", "%s: reading the chip (the MRZ opens it)", in->o->chip_device);
        st = dx_chip_read(dev, &co, &in->chip, &e);
        dx_device_free(dev);
        if (st != DX_OK) {
            /* the rules judge why (a key the chip refuses is a finding);
             * what was read before the error is kept in CASE/chip */
            const char *why = st == DX_ERR_ACCESS_DENIED ? "access_denied"
                              : st == DX_ERR_NO_CARD      ? "no_card"
                              : st == DX_ERR_CANCELLED    ? "cancelled"
                                                          : "error";
            dx_error we = {0};
            json_object_set_new(part, "message", json_sprintf("chip read: %s", e.message));
            json_object_set_new(part, "read", json_false());
            in->j_chip = json_pack("{s:{s:s,s:s}}", "read_error", "status", why, "message", e.message);
            dx_ins_progress(in, "chip", "chip read failed: %s", e.message);
            if (in->chip && dx_chip_result_write(in->chip, dir, &we) != DX_OK)
                dx_log(DX_CAT_INSPECT, DX_LOG_WARNING, "chip files not written: %s", we.message);
            dx_chip_result_free(in->chip);
            in->chip = NULL;
            return;
        }
    } else if (src[0]) {
        json_object_set_new(part, "from", json_string("chip"));
        if ((st = dx_chip_result_load(src, &in->chip, &e)) != DX_OK) {
            json_object_set_new(part, "message", json_sprintf("chip files: %s", e.message));
            return;
        }
        dx_ins_progress(in, "chip", "chip files of %s verified offline", in->o->from_dir);
    } else {
        json_object_set_new(part, "message", json_string("no chip reader given and no chip files"));
        return;
    }
    if (dx_chip_verify(in->chip, trust, unix_of(today), &e) != DX_OK)
        json_object_set_new(part, "message", json_sprintf("chip verification: %s", e.message));
    if (dx_chip_result_write(in->chip, dir, &e) != DX_OK)
        dx_log(DX_CAT_INSPECT, DX_LOG_WARNING, "chip files not written: %s", e.message);
    json_object_set_new(part, "read", json_true());
    json_object_set_new(part, "verified", json_boolean(dx_chip_result_verified(in->chip)));
    if (!json_object_get(part, "message")) {
        const char *aa = json_string_value(
            json_object_get(json_object_get(in->j_chip, "active_authentication"), "result"));
        json_object_set_new(part, "message",
                            json_string(in->o->chip_device ? "read from the chip and verified"
                                        : aa && !strcmp(aa, "not_run")
                                            ? "chip files verified offline (no active authentication: the chip was not asked)"
                                            : "chip files verified offline (active authentication: the exchange recorded when the chip was read)"));
    }
    in->j_chip = json_from_text(dx_chip_result_to_json(in->chip));
}

typedef struct chip_job {
    dx_inspection *in;
    dx_host *host;
    const char *trust;
    int32_t today;
    json_t *part;
    double ms;
} chip_job;

static void *chip_thread(void *arg)
{
    chip_job *j = arg;
    double t0 = dx_ins_now_ms();
    do_chip(j->in, j->host, j->trust, j->today, j->part);
    j->ms = dx_ins_now_ms() - t0;
    return NULL;
}

/* ---- rules ---------------------------------------------------------------- */

static dx_rules_group group_of_file(const char *name)
{
    if (strstr(name, "icao"))
        return DX_RULES_GROUP_MRZ;
    if (strstr(name, "chip"))
        return DX_RULES_GROUP_CHIP;
    if (strstr(name, "cross"))
        return DX_RULES_GROUP_CROSS;
    return DX_RULES_GROUP_OPTICAL;
}

/* A rule file that does not load is an aborted mandatory check of its group:
 * the document is not verified, and the message says why. */
static void add_load_failure(dx_rules_report *rep, const char *path, const char *why)
{
    dx_rules_finding *f = realloc(rep->findings, (rep->n_findings + 1) * sizeof *f);
    const char *base = strrchr(path, '/');
    char id[128];
    if (!f)
        return;
    rep->findings = f;
    f = &f[rep->n_findings++];
    memset(f, 0, sizeof *f);
    dx_ins_fmt(id, sizeof id, "rules.load.%s", base ? base + 1 : path);
    f->check.id = dx_strdup(id);
    f->check.notation.light = dx_strdup("none");
    f->check.notation.property = dx_strdup("loads");
    f->check.notation.feature = dx_strdup("rule set");
    f->check.mode = DX_RULES_MANDATORY;
    f->check.group = group_of_file(base ? base + 1 : path);
    f->check.where = dx_strdup(path);
    f->result = DX_RULES_ABORTED;
    f->message = dx_strdup(why);
}

static void run_rules(dx_inspection *in, const char *rules_dir, dx_rules_report *rep,
                      json_t *files_used)
{
    char paths[5][4300];
    size_t n = 0;
    struct stat sb;
    dx_rules_provider p;
    json_t *globals = json_object();
    dx_rules_options ro;
    dx_ins_fmt(paths[n++], sizeof paths[0], "%s/icao.lua", rules_dir);
    if (in->spec) {
        dx_ins_fmt(paths[n++], sizeof paths[0], "%s/specimen.lua", rules_dir);
        dx_ins_fmt(paths[n], sizeof paths[0], "%s/rules.lua", dx_specimen_info_get(in->spec)->dir);
        if (stat(paths[n], &sb) == 0)
            n++;
    }
    dx_ins_fmt(paths[n++], sizeof paths[0], "%s/cross.lua", rules_dir);
    dx_ins_fmt(paths[n++], sizeof paths[0], "%s/chip.lua", rules_dir);
    if (in->j_specimen)
        json_object_set(globals, "SPECIMEN", in->j_specimen);
    memset(&ro, 0, sizeof ro);
    ro.lib_dir = in->o->lib_dir;
    ro.globals = globals;
    dx_ins_provider(in, &p);
    for (size_t i = 0; i < n; i++) {
        dx_rules_set *rs = NULL;
        dx_error e = {0};
        char sha[65] = "";
        if (dx_file_sha256(paths[i], sha, &e) == DX_OK)
            json_array_append_new(files_used, json_pack("{s:s,s:s}", "path", paths[i], "sha256", sha));
        if (dx_rules_open(paths[i], &ro, &rs, &e) != DX_OK) {
            dx_log(DX_CAT_INSPECT, DX_LOG_ERROR, "rule set %s: %s", paths[i], e.message);
            add_load_failure(rep, paths[i], e.message);
            continue;
        }
        if (dx_rules_run(rs, &p, rep, &e) != DX_OK) {
            dx_log(DX_CAT_INSPECT, DX_LOG_ERROR, "rule set %s: %s", paths[i], e.message);
            add_load_failure(rep, paths[i], e.message);
        }
        dx_rules_free(rs);
    }
    /* aborted checks are logged by the engine, with their traceback */
    dx_rules_aggregate(rep);
    json_decref(globals);
}

/* ---- evidence ------------------------------------------------------------- */

/* `r` (page mm) of `im` grown by the margin, as an 8-bit PNG at most
 * EVIDENCE_DPI in *png (the caller frees it). */
static dx_status crop_png(const dx_reg_image *im, dx_reg_rect r, uint8_t **png_out, size_t *len_out,
                          dx_error *err)
{
    double x0 = r.x - EVIDENCE_MARGIN_MM, y0 = r.y - EVIDENCE_MARGIN_MM;
    double x1 = r.x + r.w + EVIDENCE_MARGIN_MM, y1 = r.y + r.h + EVIDENCE_MARGIN_MM;
    double ppm = im->dpi / 25.4;
    int step = im->dpi > EVIDENCE_DPI * 1.5 ? (int)lround(im->dpi / EVIDENCE_DPI) : 1;
    /* a whole-page region is shown smaller: at most EVIDENCE_MAX_PX a side */
    double long_px = fmax(x1 - x0, y1 - y0) * ppm;
    while (long_px / step > EVIDENCE_MAX_PX)
        step++;
    int i0 = (int)floor((x0 - im->x_mm) * ppm), j0 = (int)floor((y0 - im->y_mm) * ppm);
    int i1 = (int)ceil((x1 - im->x_mm) * ppm), j1 = (int)ceil((y1 - im->y_mm) * ppm);
    dx_synth_image out = {0};
    uint8_t *png = NULL;
    size_t len = 0;
    dx_status st;
    if (i0 < 0) i0 = 0;
    if (j0 < 0) j0 = 0;
    if (i1 > im->w) i1 = im->w;
    if (j1 > im->h) j1 = im->h;
    if (i1 - i0 < step || j1 - j0 < step)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "the region lies outside the page");
    out.width = (uint32_t)((i1 - i0) / step);
    out.height = (uint32_t)((j1 - j0) / step);
    out.channels = im->ch;
    out.bits = 8;
    float *sums = NULL;
    if (!(out.data = malloc((size_t)out.width * out.height * (size_t)im->ch)) ||
        (step > 1 && !(sums = malloc((size_t)out.width * (size_t)step * (size_t)im->ch * sizeof *sums)))) {
        free(out.data);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    }
    /* each output sample the mean of step x step page samples, rounded
     * half up and clamped to 0..255 (anything not above 0, NaN too, is 0) */
    size_t rs = (size_t)im->w * (size_t)im->ch, ns = (size_t)out.width * (size_t)im->ch;
    float norm = 1.0f / (float)(step * step);
    for (uint32_t y = 0; y < out.height; y++) {
        const float *row = im->px + (size_t)(j0 + (int)y * step) * rs + (size_t)i0 * (size_t)im->ch;
        uint8_t *o = out.data + (size_t)y * ns;
        if (step == 1) {
            for (size_t k = 0; k < ns; k++) {
                float v = row[k];
                o[k] = !(v > 0) ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5f);
            }
            continue;
        }
        /* the step rows added sample by sample into sums, then each output
         * sample the sum of its step neighbours */
        size_t span = (size_t)out.width * (size_t)step * (size_t)im->ch;
        for (size_t k = 0; k < span; k++)
            sums[k] = row[k];
        for (int dy = 1; dy < step; dy++)
            for (size_t k = 0; k < span; k++)
                sums[k] += row[(size_t)dy * rs + k];
        for (uint32_t x = 0; x < out.width; x++)
            for (int c = 0; c < im->ch; c++) {
                const float *q = sums + (size_t)x * (size_t)step * (size_t)im->ch + (size_t)c;
                float acc = 0;
                for (int dx = 0; dx < step; dx++)
                    acc += q[(size_t)dx * (size_t)im->ch];
                acc *= norm;
                o[(size_t)x * (size_t)im->ch + (size_t)c] =
                    !(acc > 0) ? 0 : acc >= 255 ? 255 : (uint8_t)(acc + 0.5f);
            }
    }
    /* unfiltered (written and read back by the reports several times
     * faster) at the fast level */
    free(sums);
    dx_image_view v = {.data = out.data, .width = out.width, .height = out.height,
                       .stride = (size_t)out.width * (size_t)im->ch,
                       .format = im->ch == 3 ? DX_PIX_RGB8 : DX_PIX_GRAY8};
    st = dx_png_encode_fast(&v, im->dpi / step, &png, &len, err);
    free(out.data);
    if (st == DX_OK)
        *png_out = png, *len_out = len;
    return st;
}

/* Write the PNG bytes of a crop to CASE/evidence/<name>; their SHA-256 into sha. */
static dx_status write_crop(const char *case_dir, const uint8_t *png, size_t len, const char *name,
                            char sha[65], dx_error *err)
{
    char dir[4300];
    dx_status st;
    dx_ins_fmt(dir, sizeof dir, "%s/evidence", case_dir);
    if ((st = dx_mkdir_p(dir, err)) == DX_OK)
        st = dx_file_write_atomic_deferred(dir, name, png, len, sha, err); /* synced before findings.json */
    return st;
}

/* ---- the report.pdf thread ------------------------------------------------ */

typedef struct report_job {
    const dx_report_model *model;
    const char *case_dir;
    const char *path;
    dx_status st;
    dx_error err;
    double ms;
} report_job;

static void *pdf_thread(void *arg)
{
    report_job *j = arg;
    double t0 = dx_ins_now_ms();
    prctl(PR_SET_NAME, "docex-pdf"); /* for perf and top */
    j->st = dx_report_pdf_of(j->model, j->case_dir, j->path, NULL, &j->err);
    j->ms = dx_ins_now_ms() - t0;
    return NULL;
}

/* ---- a helper for the rules' idle core -------------------------------------
 * The rules run on one core.  Meanwhile a helper thread, the one that will
 * draw report.pdf, loads the report's fonts into its pango font map (one per
 * thread; a fifth of the PDF's time when cold), then encodes the crops the
 * findings are likely to show: every specimen feature's region on the page
 * and the reference of each light it names, and the visual zone's fields at
 * ir870, as far as those pages are made.  A crop a finding asks for that was
 * made ahead (the same image, the same rectangle) is written as made; the
 * others are made then; the bytes are the same either way.  Then the helper
 * waits to be given the PDF to draw (or to be let go). */

typedef struct crop_ahead {
    const dx_reg_image *im;
    dx_reg_rect rect;
    uint8_t *png;
    size_t len;
    atomic_bool done; /* png and len are final (set by the helper) */
} crop_ahead;

typedef struct ahead_list {
    crop_ahead *v;
    size_t n, cap;
    bool warm;        /* load the report's fonts first */
    atomic_bool stop; /* no more crops: the rules are done */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool crops_done;  /* the helper reads no page any more (under mu) */
    report_job *job;  /* the PDF to draw (under mu) */
    bool quit;        /* nothing to draw (under mu) */
    pthread_t tid;
    bool running;
} ahead_list;

static void ahead_add(ahead_list *al, const dx_reg_image *im, dx_reg_rect rect)
{
    for (size_t k = 0; k < al->n; k++)
        if (al->v[k].im == im && memcmp(&al->v[k].rect, &rect, sizeof rect) == 0)
            return;
    if (al->n == al->cap) {
        size_t cap = al->cap ? al->cap * 2 : 64;
        crop_ahead *v = realloc(al->v, cap * sizeof *v);
        if (!v)
            return;
        al->v = v, al->cap = cap;
    }
    crop_ahead *c = &al->v[al->n++];
    c->im = im, c->rect = rect, c->png = NULL, c->len = 0;
    atomic_init(&c->done, false);
}

static void *ahead_main(void *arg)
{
    ahead_list *al = arg;
    report_job *job;
    prctl(PR_SET_NAME, "docex-pdf"); /* for perf and top */
    if (al->warm)
        dx_report_pdf_warm();
    for (size_t k = 0; k < al->n && !atomic_load(&al->stop); k++) {
        dx_error e = {0};
        if (crop_png(al->v[k].im, al->v[k].rect, &al->v[k].png, &al->v[k].len, &e) == DX_OK)
            atomic_store(&al->v[k].done, true);
    }
    pthread_mutex_lock(&al->mu);
    al->crops_done = true;
    pthread_cond_broadcast(&al->cv);
    while (!al->job && !al->quit)
        pthread_cond_wait(&al->cv, &al->mu);
    job = al->job;
    pthread_mutex_unlock(&al->mu);
    if (job)
        pdf_thread(job);
    return NULL;
}

/* The page of side s under `light` if it is made (nothing is made here). */
static const dx_reg_image *page_made(dx_inspection *in, size_t s, const char *light)
{
    ins_light *l = dx_ins_light(in, s, light);
    return l && l->resampled ? &l->page : NULL;
}

static const dx_reg_image *reference_made(dx_inspection *in, size_t s, const char *light)
{
    for (size_t k = 0; s < in->n_sides && k < in->sides[s].n_refs; k++) {
        const ins_ref *r = &in->sides[s].refs[k];
        if (strcmp(r->light, light) == 0 && r->loaded && r->status == DX_OK)
            return &r->img;
    }
    return NULL;
}

/* Start the helper: after dx_ins_prepare, before the rules (the pages and
 * references it lists are not changed while the rules run); `warm` when a
 * report.pdf will be drawn. */
static void ahead_start(dx_inspection *in, ahead_list *al, bool warm)
{
    al->warm = warm;
    /* the likeliest first: of the features under one light (the rules
     * show that one) the pages, then the references; then the features
     * under several lights; the visual zone's fields (a rule shows one or
     * two of them) last */
    for (int pass = 0; in->spec && pass < 4; pass++)
        for (size_t f = 0; f < dx_specimen_feature_count(in->spec); f++) {
            const dx_specimen_feature *ft = dx_specimen_feature_at(in->spec, f);
            dx_reg_rect rect = {ft->region.x, ft->region.y, ft->region.w, ft->region.h};
            if (ft->side >= in->n_sides || (pass < 2) != (ft->n_illuminations == 1))
                continue;
            for (size_t k = 0; k < ft->n_illuminations; k++) {
                const char *light = ft->illuminations[k];
                const dx_reg_image *im = pass % 2 == 0 ? page_made(in, ft->side, light)
                                                       : reference_made(in, ft->side, light);
                if (im)
                    ahead_add(al, im, rect);
            }
        }
    const dx_viz_field *vf = in->viz;
    for (size_t i = 0; vf && i < in->n_viz; i++) {
        const dx_reg_image *im = page_made(in, (size_t)vf[i].side, "ir870");
        if (im)
            ahead_add(al, im, vf[i].box_mm);
    }
    if ((al->n || warm) && pthread_create(&al->tid, NULL, ahead_main, al) == 0)
        al->running = true;
}

/* No more crops ahead (one being made is finished, not waited for). */
static void ahead_stop(ahead_list *al)
{
    atomic_store(&al->stop, true);
}

static const crop_ahead *ahead_find(ahead_list *al, const dx_reg_image *im, dx_reg_rect rect)
{
    for (size_t k = 0; al && k < al->n; k++)
        if (al->v[k].im == im && memcmp(&al->v[k].rect, &rect, sizeof rect) == 0 &&
            atomic_load(&al->v[k].done))
            return &al->v[k];
    return NULL;
}

/* Wait until the helper reads no page or reference any more (before they
 * are freed). */
static void ahead_crops_wait(ahead_list *al)
{
    atomic_store(&al->stop, true);
    if (!al->running)
        return;
    pthread_mutex_lock(&al->mu);
    while (!al->crops_done)
        pthread_cond_wait(&al->cv, &al->mu);
    pthread_mutex_unlock(&al->mu);
}

/* Give the helper the PDF to draw: false when there is no helper. */
static bool ahead_draw(ahead_list *al, report_job *job)
{
    if (!al->running)
        return false;
    pthread_mutex_lock(&al->mu);
    al->job = job;
    pthread_cond_broadcast(&al->cv);
    pthread_mutex_unlock(&al->mu);
    return true;
}

/* Wait for the helper (let go when it was given nothing), then free all. */
static void ahead_free(ahead_list *al)
{
    atomic_store(&al->stop, true);
    if (al->running) {
        pthread_mutex_lock(&al->mu);
        al->quit = true;
        pthread_cond_broadcast(&al->cv);
        pthread_mutex_unlock(&al->mu);
        pthread_join(al->tid, NULL);
        al->running = false;
    }
    for (size_t k = 0; k < al->n; k++)
        free(al->v[k].png);
    free(al->v);
    al->v = NULL;
    al->n = al->cap = 0;
}

/* The evidence crops are gathered while the findings are put together (one
 * thread: pages and references load on first use), written on every core,
 * then recorded in order. */
typedef struct crop_job {
    const dx_reg_image *im;  /* a page or reference of the inspection, or &own */
    dx_reg_image own;        /* the chip's portrait, freed after */
    dx_reg_rect rect;
    char name[200];
    const char *key;         /* "captured" or "reference" */
    const char *reference_is;
    json_t *ev;              /* the finding's evidence object (borrowed) */
    dx_status st;
    bool ahead;              /* its bytes were made while the rules ran */
    char sha[65];
    char error[300];
} crop_job;

typedef struct crop_list {
    crop_job *jobs;
    size_t n, cap;
    const char *case_dir;
    ahead_list *ahead;       /* crops made while the rules ran */
} crop_list;

static crop_job *crop_add(crop_list *cl, const dx_reg_image *im, dx_reg_rect rect, const char *name,
                          const char *key, json_t *ev)
{
    if (cl->n == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 32;
        crop_job *j = realloc(cl->jobs, cap * sizeof *j);
        if (!j)
            return NULL;
        cl->jobs = j, cl->cap = cap;
    }
    crop_job *j = &cl->jobs[cl->n++];
    memset(j, 0, sizeof *j);
    j->im = im, j->rect = rect, j->key = key, j->ev = ev;
    dx_strlcpy(j->name, name, sizeof j->name);
    return j;
}

/* Write crop i (any thread: touches only its job). */
static void crop_write(void *arg, size_t i)
{
    crop_list *cl = arg;
    crop_job *j = &cl->jobs[i];
    dx_error e = {0};
    const crop_ahead *a = j->im ? ahead_find(cl->ahead, j->im, j->rect) : NULL;
    if (a) {
        j->ahead = true;
        j->st = write_crop(cl->case_dir, a->png, a->len, j->name, j->sha, &e);
    } else {
        uint8_t *png = NULL;
        size_t len = 0;
        if ((j->st = crop_png(j->im == NULL ? &j->own : j->im, j->rect, &png, &len, &e)) == DX_OK)
            j->st = write_crop(cl->case_dir, png, len, j->name, j->sha, &e);
        free(png);
    }
    if (j->st != DX_OK)
        dx_ins_fmt(j->error, sizeof j->error, "%s", e.message);
}

static void add_file(json_t *files, const char *rel, const char *role, uint64_t bytes, const char *sha)
{
    json_array_append_new(files, json_pack("{s:s,s:s,s:I,s:s}", "path", rel, "role", role, "bytes",
                                           (json_int_t)bytes, "sha256", sha));
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Record an evidence crop written as CASE/evidence/<name>: ev[key] and
 * ev[key_sha256], and the case's file list. */
static void add_evidence(dx_inspection *in, json_t *ev, json_t *files, const char *key,
                         const char *name, const char *sha)
{
    char rel[260], p[4400], k2[64];
    dx_ins_fmt(rel, sizeof rel, "evidence/%s", name);
    dx_ins_fmt(p, sizeof p, "%s/%s", in->case_dir, rel);
    dx_ins_fmt(k2, sizeof k2, "%s_sha256", key);
    json_object_set_new(ev, key, json_string(rel));
    json_object_set_new(ev, k2, json_string(sha));
    add_file(files, rel, "evidence", file_size(p), sha);
}

/* `im` (grey, paper 255) grown by `margin_mm` of paper on every side: the
 * expected field cropped like the captured one beside it. */
static dx_status pad_paper(const dx_reg_image *im, double margin_mm, dx_reg_image *out)
{
    int m = (int)ceil(margin_mm * im->dpi / 25.4);
    size_t w = (size_t)im->w + 2 * (size_t)m, h = (size_t)im->h + 2 * (size_t)m;
    memset(out, 0, sizeof *out);
    if (im->ch != 1 || !(out->px = malloc(w * h * sizeof(float))))
        return DX_ERR_NO_MEMORY;
    for (size_t i = 0; i < w * h; i++)
        out->px[i] = 255.0f;
    for (int y = 0; y < im->h; y++)
        memcpy(out->px + (size_t)(y + m) * w + (size_t)m, im->px + (size_t)y * (size_t)im->w,
               (size_t)im->w * sizeof(float));
    out->w = (int)w, out->h = (int)h, out->ch = 1, out->dpi = im->dpi;
    out->x_mm = im->x_mm - m * 25.4 / im->dpi;
    out->y_mm = im->y_mm - m * 25.4 / im->dpi;
    return DX_OK;
}

/* A safe file name from a check id. */
static void safe_name(const char *id, char *out, size_t size)
{
    size_t i = 0;
    for (; id[i] && i + 1 < size; i++) {
        char c = id[i];
        out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '_' || c == '-' || c == '.'
                     ? c
                     : '_';
    }
    out[i] = '\0';
    if (out[0] == '.')
        out[0] = '_';
}

static double round3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

static json_t *region_json(dx_inspection *in, const ins_region *r)
{
    json_t *reg = json_object();
    json_object_set_new(reg, "feature", r->feature[0] ? json_string(r->feature) : json_null());
    json_object_set_new(reg, "side", json_string(r->side < in->n_sides ? in->sides[r->side].name : "?"));
    json_object_set_new(reg, "x", json_real(round3(r->rect.x)));
    json_object_set_new(reg, "y", json_real(round3(r->rect.y)));
    json_object_set_new(reg, "w", json_real(round3(r->rect.w)));
    json_object_set_new(reg, "h", json_real(round3(r->rect.h)));
    return reg;
}

/* Rewrite one finding of dx_rules_finding_json() into the findings.json
 * form: region resolved to side and mm, evidence written, nulls dropped. */
static json_t *finding_out(dx_inspection *in, const dx_rules_finding *f, crop_list *cl, int index)
{
    json_t *o = dx_rules_finding_json(f), *v;
    const char *k;
    void *tmp;
    if (!o)
        return NULL;
    json_object_foreach_safe(o, tmp, k, v) if (json_is_null(v)) json_object_del(o, k);
    if ((v = json_object_get(o, "declared_at"))) {
        /* the installed rule sets by their place in the data directory */
        const char *where = json_string_value(v), *dd = dx_datadir();
        const char *inst = where ? strstr(where, "/share/docex/scripts/") : NULL;
        size_t n = dd ? strlen(dd) : 0;
        if (where && n && strncmp(where, dd, n) == 0 && where[n] == '/')
            json_object_set_new(o, "rule", json_string(where + n + 1));
        else if (inst)
            json_object_set_new(o, "rule", json_string(inst + strlen("/share/docex/")));
        else
            json_object_set(o, "rule", v);
        json_object_del(o, "declared_at");
    }
    json_object_del(o, "region");
    json_object_del(o, "related");
    bool ref_is_face = false;
    if (f->has_related) {
        ins_region r;
        dx_error e = {0};
        if (dx_ins_resolve(in, &f->related, &r, &e) == DX_OK) {
            if (!r.is_face)
                json_object_set_new(o, "related_region", region_json(in, &r));
            ref_is_face = r.is_face; /* compared with the chip's portrait: show that */
        }
    }
    if (f->has_region) {
        ins_region r;
        dx_error e = {0};
        if (dx_ins_resolve(in, &f->region, &r, &e) == DX_OK && !r.is_face) {
            const char *light = f->light ? f->light : r.light[0] ? r.light : NULL;
            json_t *ev = json_object();
            json_object_set_new(o, "region", region_json(in, &r));
            if (light && !json_object_get(o, "light"))
                json_object_set_new(o, "light", json_string(light));
            if (light) {
                const dx_reg_image *im = NULL, *ref = NULL;
                char name[200], base[120];
                safe_name(f->check.id ? f->check.id : "check", base, sizeof base);
                if (dx_ins_page(in, r.side, light, &im, &e) == DX_OK) {
                    dx_ins_fmt(name, sizeof name, "%03d-%s.captured.png", index, base);
                    crop_add(cl, im, r.rect, name, "captured", ev);
                }
                dx_reg_image face = {0};
                if (ref_is_face && dx_ins_face_image(in, r.rect, &face, &e) == DX_OK) {
                    dx_reg_rect all = {face.x_mm, face.y_mm, face.w * 25.4 / face.dpi,
                                       face.h * 25.4 / face.dpi};
                    crop_job *j;
                    dx_ins_fmt(name, sizeof name, "%03d-%s.chip-face.png", index, base);
                    /* the whole portrait: no margin around it */
                    all.x += EVIDENCE_MARGIN_MM, all.y += EVIDENCE_MARGIN_MM;
                    all.w -= 2 * EVIDENCE_MARGIN_MM, all.h -= 2 * EVIDENCE_MARGIN_MM;
                    if ((j = crop_add(cl, NULL, all, name, "reference", ev))) {
                        j->own = face;
                        j->reference_is = "the chip's DG2 portrait";
                    } else {
                        dx_reg_image_free(&face);
                    }
                } else if (!ref_is_face && (ref = dx_ins_viz_expected(in, &r))) {
                    /* a field of the holder's data: the specimen's sample
                     * holder says nothing; what the MRZ says should be there does */
                    crop_job *j;
                    dx_ins_fmt(name, sizeof name, "%03d-%s.expected.png", index, base);
                    if ((j = crop_add(cl, NULL, r.rect, name, "reference", ev))) {
                        j->reference_is = "the field as the MRZ says it is printed, drawn in the specimen's typeface";
                        if (pad_paper(ref, EVIDENCE_MARGIN_MM, &j->own) != DX_OK)
                            j->im = ref; /* unpadded */
                    }
                } else if (!ref_is_face && dx_ins_reference(in, r.side, light, &ref, NULL, NULL, &e) == DX_OK) {
                    dx_ins_fmt(name, sizeof name, "%03d-%s.reference.png", index, base);
                    crop_add(cl, ref, r.rect, name, "reference", ev);
                }
            }
            /* o holds ev; the crops add to it when written (empty: dropped) */
            json_object_set_new(o, "evidence", ev);
        }
    }
    return o;
}

/* ---- the run ---------------------------------------------------------------- */

static void format_page_size(dx_inspection *in)
{
    if (in->spec) {
        const dx_specimen_info *si = dx_specimen_info_get(in->spec);
        in->page_w_mm = si->page_width_mm;
        in->page_h_mm = si->page_height_mm;
        return;
    }
    /* ICAO 9303 Part 3: ID-1 (TD1), ID-2 (TD2), ID-3 (TD3) */
    dx_mrz_format f = in->have_mrz ? in->mrz.mrz.format : DX_MRZ_TD3;
    if (f == DX_MRZ_TD1) {
        in->page_w_mm = 85.6;
        in->page_h_mm = 53.98;
    } else if (f == DX_MRZ_TD2) {
        in->page_w_mm = 105.0;
        in->page_h_mm = 74.0;
    } else {
        in->page_w_mm = 125.0;
        in->page_h_mm = 88.0;
    }
}

static void inspection_free(dx_inspection *in)
{
    dx_ins_sides_free(in);
    dx_viz_fields_free(in->viz, in->n_viz);
    in->viz = NULL;
    free(in->viz_pre);
    in->viz_pre = NULL;
    dx_specimen_close(in->spec);
    dx_chip_result_free(in->chip);
    dx_png_image_free(&in->face);
    json_decref(in->j_specimen);
    json_decref(in->j_mrz);
    json_decref(in->j_chip);
    json_decref(in->j_inspection);
}

void dx_inspect_result_clear(dx_inspect_result *r)
{
    if (r) {
        json_decref(r->findings);
        memset(r, 0, sizeof *r);
    }
}

static dx_status write_json(const char *dir, const char *name, json_t *j, char sha[65], dx_error *err)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    dx_status st;
    if (!text)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: out of memory", name);
    size_t len = strlen(text);
    text[len] = '\0';
    char *t2 = realloc(text, len + 2);
    if (t2) {
        text = t2;
        text[len++] = '\n';
        text[len] = '\0';
    }
    st = dx_file_write_atomic(dir, name, text, len, sha, err);
    free(text);
    return st;
}

dx_status dx_inspect_run(dx_host *host, const dx_inspect_options *o, dx_inspect_result *out,
                         dx_error *err)
{
    dx_inspection *in;
    dx_status st = DX_OK;
    dx_rules_report rep;
    json_t *warnings = json_array(), *files = json_array(), *rule_files = json_array();
    json_t *doc = json_object(), *chip_part = json_object(), *spec_part = NULL, *root = NULL;
    char datadir_rules[4300], datadir_trust[4300], sha[65];
    const char *rules_dir, *trust;
    int32_t today;
    double t_start = dx_ins_now_ms(), t_mrz = 0, t_chip = 0, t_rules = 0, t_report = 0, t0;
    bool case_created = false;
    /* DOCEX_DEBUG=inspect:debug: when each step ended */
#define STEP_DONE(what) \
    dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "%7.1f ms: %s done", dx_ins_now_ms() - t_start, what)
    bool back_tried = false; /* --device: the back was captured, or could not be */
    ahead_list ahead = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    atomic_init(&ahead.stop, false);
    memset(&rep, 0, sizeof rep);
    if (out)
        memset(out, 0, sizeof *out);
    if (!o || !out || !o->out_dir || (!o->device == !o->from_dir)) {
        json_decref(warnings);
        json_decref(files);
        json_decref(rule_files);
        json_decref(doc);
        json_decref(chip_part);
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "inspect: give a case directory and one source: a device or a directory");
    }
    if (!(in = calloc(1, sizeof *in))) {
        json_decref(warnings);
        json_decref(files);
        json_decref(rule_files);
        json_decref(doc);
        json_decref(chip_part);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    }
    in->o = o;
    in->dpi = o->measure_dpi > 0 ? o->measure_dpi : DX_INSPECT_DEFAULT_DPI;
    in->specimens_dir = o->specimens_dir;
    today = o->today ? o->today : today_utc();
    dx_ins_fmt(datadir_rules, sizeof datadir_rules, "%s/scripts/rules", dx_datadir());
    dx_ins_fmt(datadir_trust, sizeof datadir_trust, "%s/trust/test", dx_datadir());
    rules_dir = o->rules_dir ? o->rules_dir : datadir_rules;
    trust = o->trust_dir ? o->trust_dir : datadir_trust;
    if (!dx_strlcpy(in->case_dir, o->out_dir, sizeof in->case_dir)) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "the case directory's path is too long");
        goto fail;
    }
    if ((st = case_dir_prepare(in->case_dir, &case_created, err)) != DX_OK)
        goto fail;

    /* 1. captures (with --specimen ID the device captures its lights, and
     * both sides when the specimen has two) */
    if (o->specimen && strcmp(o->specimen, "auto") != 0 && o->device &&
        (st = dx_specimen_open(o->specimens_dir, o->specimen, &in->spec, err)) != DX_OK)
        goto fail;
    st = o->device ? dx_ins_acquire_device(in, host, warnings, err) : dx_ins_acquire_dir(in, err);
    if (st == DX_OK && o->device && in->spec && dx_specimen_info_get(in->spec)->n_sides > 1) {
        const dx_specimen_info *si = dx_specimen_info_get(in->spec);
        char why[160];
        dx_ins_fmt(why, sizeof why, "specimen %s has two sides", si->id);
        back_tried = true;
        st = dx_ins_acquire_back(in, host, si->sides[1], why, warnings, err);
    }
    dx_specimen_close(in->spec);
    in->spec = NULL;
    if (st != DX_OK)
        goto fail;

    STEP_DONE("captures");
    dx_ins_predecode(in); /* white first, for the registration, while the MRZ is read */
    /* 2. the MRZ; from a device with no specimen asked for, on the back when
     * the front shows none (a TD1 card's MRZ is on its back) */
    t0 = dx_ins_now_ms();
    read_mrz(in, today, 0);
    t_mrz = dx_ins_now_ms() - t0;
    if (!in->have_mrz && o->device && !back_tried && in->n_sides == 1 &&
        (!o->specimen || strcmp(o->specimen, "auto") == 0)) {
        back_tried = true;
        if ((st = dx_ins_acquire_back(in, host, "back", "the front shows no MRZ", warnings, err)) != DX_OK)
            goto fail;
        if (in->n_sides > 1) {
            t0 = dx_ins_now_ms();
            read_mrz(in, today, 1);
            t_mrz += dx_ins_now_ms() - t0;
        }
    }

    STEP_DONE("mrz");
    /* 3. the specimen */
    format_page_size(in);
    if ((st = dx_ins_identify(in, &spec_part, err)) != DX_OK)
        goto fail;
    format_page_size(in);
    if (in->spec && o->device && !back_tried && in->n_sides == 1 &&
        dx_specimen_info_get(in->spec)->n_sides > 1) {
        /* identified as a two-sided document of which one side is captured */
        const dx_specimen_info *si = dx_specimen_info_get(in->spec);
        char why[160];
        dx_ins_fmt(why, sizeof why, "the document is a %s, which has two sides", si->id);
        back_tried = true;
        if ((st = dx_ins_acquire_back(in, host, si->sides[1], why, warnings, err)) != DX_OK)
            goto fail;
    }
    if (in->spec) {
        const dx_specimen_info *si = dx_specimen_info_get(in->spec);
        for (size_t s = 0; s < in->n_sides && s < si->n_sides; s++)
            dx_strlcpy(in->sides[s].name, si->sides[s], sizeof in->sides[s].name);
        /* registration may have run for the identification with the format's
         * page and no MRZ rectangle: start again with the specimen's */
        for (size_t s = 0; s < in->n_sides; s++) {
            ins_side *sd = &in->sides[s];
            sd->registered = false;
            sd->reg_status = DX_OK;
            for (size_t i = 0; i < sd->n_lights; i++) {
                dx_reg_image_free(&sd->lights[i].page);
                sd->lights[i].resampled = false;
                sd->lights[i].page_status = DX_OK;
            }
        }
        in->j_specimen = json_from_text(dx_specimen_to_json(in->spec));
    }
    /* a back captured from a device: was the document really turned over? */
    if (o->device)
        dx_ins_check_sides(in, warnings);
    for (size_t s = 0; s < in->n_sides; s++)
        for (size_t i = 0; i < in->sides[s].n_lights; i++) {
            ins_light *l = &in->sides[s].lights[i];
            add_file(files, l->rel, "capture", file_size(l->path), l->sha256);
        }
    dx_ins_progress(in, "specimen", "%s", json_string_value(json_object_get(spec_part, "message")));
    if (in->have_mrz) {
        char *text = dx_mrz_read_to_json(&in->mrz, dx_ins_light(in, in->mrz_side, in->mrz_light)->rel);
        in->j_mrz = json_from_text(text);
        if (in->j_mrz) {
            json_object_set_new(in->j_mrz, "side", json_string(in->sides[in->mrz_side].name));
            json_object_set_new(in->j_mrz, "illumination", json_string(in->mrz_light));
        }
    }

    STEP_DONE("specimen");
    /* 4. registration, every side */
    for (size_t s = 0; s < in->n_sides; s++) {
        dx_error e = {0};
        if (dx_ins_register(in, s, &e) != DX_OK) {
            json_array_append_new(warnings, json_string(e.message));
            dx_ins_progress(in, "registration", "%s", e.message);
        }
    }

    STEP_DONE("registration");
    /* 5. the chip, on its own thread while every light is decoded and
     * resampled on the others */
    if (dx_ins_interrupted(in)) {
        st = dx_error_set(err, DX_ERR_CANCELLED, "interrupted");
        goto fail;
    }
    {
        chip_job job = {in, host, trust, today, chip_part, 0};
        pthread_t tid;
        bool threaded = pthread_create(&tid, NULL, chip_thread, &job) == 0;
        if (!threaded)
            chip_thread(&job);
        dx_ins_prepare(in);
        if (threaded)
            pthread_join(tid, NULL);
        dx_ins_viz_precompute(in);
        t_chip = job.ms;
    }

    STEP_DONE("chip, decode and resample");
    /* 6. the rules */
    {
        char date[16];
        json_t *sides = json_array();
        dx_ins_fmt(date, sizeof date, "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
        for (size_t s = 0; s < in->n_sides; s++) {
            json_t *lights = json_array();
            for (size_t i = 0; i < in->sides[s].n_lights; i++)
                json_array_append_new(lights, json_string(in->sides[s].lights[i].name));
            json_array_append_new(sides, json_pack("{s:s,s:o}", "name", in->sides[s].name, "lights", lights));
        }
        in->j_inspection = json_pack("{s:s,s:i,s:s,s:o,s:b,s:f}", "date", date, "today", (int)today,
                                     "source", o->device ? "device" : "files", "sides", sides,
                                     "generic", in->spec == NULL, "dpi", in->dpi);
    }
    ahead_start(in, &ahead, !o->no_reports); /* on the core the rules leave idle */
    t0 = dx_ins_now_ms();
    {
        double m0 = in->t_measure, r0 = in->t_registration, l0 = in->t_load;
        run_rules(in, rules_dir, &rep, rule_files);
        ahead_stop(&ahead);
        t_rules = dx_ins_now_ms() - t0 - (in->t_measure - m0) - (in->t_registration - r0) - (in->t_load - l0);
    }

    STEP_DONE("rules");
    /* 7. findings.json, evidence, reports */
    root = json_object();
    json_object_set_new(root, "format", json_string(DX_FINDINGS_FORMAT));
    json_object_set_new(root, "docex_version", json_string(dx_version()));
    {
        char iso[32];
        dx_time_iso8601(dx_now_us(), iso);
        iso[19] = 'Z';
        iso[20] = '\0';
        json_object_set_new(root, "created", json_string(iso));
    }
    {
        json_t *src = json_pack("{s:s}", "kind", o->device ? "device" : "files");
        if (o->device)
            json_object_set_new(src, "device", json_string(o->device));
        if (o->from_dir)
            json_object_set_new(src, "from", json_string(o->from_dir));
        if (o->chip_device)
            json_object_set_new(src, "chip_device", json_string(o->chip_device));
        json_object_set_new(src, "trust", json_string(trust));
        json_object_set_new(src, "rules", rule_files);
        rule_files = NULL;
        json_object_set_new(root, "source", src);
    }
    json_object_set_new(doc, "specimen", spec_part);
    spec_part = NULL;
    if (in->have_mrz) {
        json_t *lines = json_array();
        for (size_t i = 0; i < in->mrz.n_lines; i++)
            json_array_append_new(lines, json_string(in->mrz.lines[i].text));
        json_object_set_new(doc, "mrz", json_pack("{s:s,s:o,s:b,s:{s:s,s:s,s:s}}", "format",
                                                  dx_mrz_format_name(in->mrz.mrz.format), "lines", lines,
                                                  "valid", in->mrz.mrz.valid, "source", "side",
                                                  in->sides[in->mrz_side].name, "illumination", in->mrz_light,
                                                  "file", dx_ins_light(in, in->mrz_side, in->mrz_light)->rel));
    } else {
        json_object_set_new(doc, "mrz", json_null());
    }
    if (in->chip) {
        json_t *pa = json_object_get(in->j_chip, "passive_authentication");
        json_t *aa = json_object_get(in->j_chip, "active_authentication");
        json_t *dg = json_object_get(in->j_chip, "dg1_vs_printed_mrz");
        json_object_set_new(chip_part, "passive_authentication",
                            json_string(json_string_value(json_object_get(pa, "result")) ?: "not_run"));
        json_object_set_new(chip_part, "active_authentication",
                            json_string(json_string_value(json_object_get(aa, "result")) ?: "not_run"));
        json_object_set_new(chip_part, "dg1_vs_printed_mrz",
                            json_string(!dg ? "not_compared"
                                        : json_is_true(json_object_get(dg, "match")) ? "same" : "different"));
        for (size_t i = 0; i < dx_chip_result_file_count(in->chip); i++) {
            const dx_chip_file *cf = dx_chip_result_file_at(in->chip, i);
            char rel[300], p[4400], fsha[65];
            dx_error e = {0};
            dx_ins_fmt(rel, sizeof rel, "chip/%s", cf->name);
            dx_ins_fmt(p, sizeof p, "%s/%s", in->case_dir, rel);
            if (dx_file_sha256(p, fsha, &e) == DX_OK)
                add_file(files, rel, "chip", file_size(p), fsha);
        }
        json_object_set_new(doc, "chip", chip_part);
    } else if (json_object_get(chip_part, "message")) {
        if (!json_object_get(chip_part, "read"))
            json_object_set_new(chip_part, "read", json_false());
        json_object_set_new(doc, "chip", chip_part);
    } else {
        json_decref(chip_part);
        json_object_set_new(doc, "chip", json_null());
    }
    chip_part = NULL;
    json_object_set_new(root, "document", doc);
    doc = NULL;
    json_object_set_new(root, "verdict", json_string(dx_rules_result_str(rep.verdict)));
    {
        json_t *g = json_object();
        for (int i = 0; i < DX_RULES_GROUP_COUNT_; i++)
            json_object_set_new(g, dx_rules_group_str((dx_rules_group)i),
                                json_string(dx_rules_result_str(rep.groups[i])));
        json_object_set_new(root, "groups", g);
    }
    t0 = dx_ins_now_ms();
    {
        json_t *arr = json_array();
        crop_list cl = {.case_dir = in->case_dir, .ahead = &ahead};
        for (size_t i = 0; i < rep.n_findings; i++) {
            json_t *f = finding_out(in, &rep.findings[i], &cl, (int)i + 1);
            if (f)
                json_array_append_new(arr, f);
            if (rep.findings[i].check.mode == DX_RULES_MANDATORY && rep.findings[i].result == DX_RULES_FAILED)
                out->mandatory_failed = true;
        }
        dx_ins_parallel(cl.n, crop_write, &cl);
        {
            size_t made = 0, done = 0;
            for (size_t i = 0; i < cl.n; i++)
                made += cl.jobs[i].ahead;
            for (size_t k = 0; k < ahead.n; k++)
                done += atomic_load(&ahead.v[k].done);
            dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "evidence: %zu crops, %zu of them made while the rules "
                   "ran (%zu of %zu made then)", cl.n, made, done, ahead.n);
        }
        for (size_t i = 0; i < cl.n; i++) {
            crop_job *j = &cl.jobs[i];
            if (j->st == DX_OK) {
                add_evidence(in, j->ev, files, j->key, j->name, j->sha);
                if (j->reference_is)
                    json_object_set_new(j->ev, "reference_is", json_string(j->reference_is));
            } else {
                dx_log(DX_CAT_INSPECT, DX_LOG_WARNING, "evidence %s not written: %s", j->name, j->error);
            }
            dx_reg_image_free(&j->own);
        }
        free(cl.jobs);
        for (size_t i = 0; i < json_array_size(arr); i++) {
            json_t *f = json_array_get(arr, i), *ev = json_object_get(f, "evidence");
            if (ev && json_object_size(ev) == 0)
                json_object_del(f, "evidence");
        }
        json_object_set_new(root, "findings", arr);
    }
    {
        json_t *reg = json_array();
        for (size_t s = 0; s < in->n_sides; s++) {
            ins_side *sd = &in->sides[s];
            if (sd->registered)
                json_array_append_new(reg, json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:b}", "side", sd->name, "light",
                                                     sd->reg_light, "rotation_deg", round3(sd->t.rotation_deg),
                                                     "scale_px_per_mm", round3(sd->t.scale), "confidence",
                                                     round3(sd->t.confidence), "residual_px",
                                                     round3(sd->t.residual_px), "turned", sd->t.turned));
            else
                json_array_append_new(reg, json_pack("{s:s,s:s}", "side", sd->name, "error",
                                                     sd->reg_error[0] ? sd->reg_error : "not registered"));
        }
        json_object_set_new(root, "registration", reg);
    }
    json_object_set_new(root, "files", files);
    files = NULL;
    json_object_set_new(root, "warnings", warnings);
    warnings = NULL;
    t_report = dx_ins_now_ms() - t0; /* the evidence crops */
    STEP_DONE("evidence");
    {
        json_t *tm = json_object();
        json_object_set_new(tm, "load", json_real(round3(in->t_load)));
        json_object_set_new(tm, "registration", json_real(round3(in->t_registration)));
        json_object_set_new(tm, "mrz", json_real(round3(t_mrz - 0)));
        json_object_set_new(tm, "chip", json_real(round3(t_chip)));
        json_object_set_new(tm, "measurements", json_real(round3(in->t_measure)));
        json_object_set_new(tm, "lua", json_real(round3(t_rules > 0 ? t_rules : 0)));
        json_object_set_new(root, "timings_ms", tm);
    }
    {
        json_t *tm = json_object_get(root, "timings_ms");
        json_object_set_new(tm, "evidence", json_real(round3(t_report)));
        json_object_set_new(tm, "total", json_real(round3(dx_ins_now_ms() - t_start)));
    }
    /* findings.json is final before the reports, which show its SHA-256 */
    dx_ins_fmt(out->findings_path, sizeof out->findings_path, "%s/findings.json", in->case_dir);
    /* the copied captures and the evidence crops were written without
     * waiting for the disk: all on it before findings.json names them */
    if ((st = dx_fs_sync(in->case_dir, err)) != DX_OK ||
        (st = write_json(in->case_dir, "findings.json", root, sha, err)) != DX_OK)
        goto fail;
    STEP_DONE("findings.json");
    if (!o->no_reports) {
        dx_error e = {0};
        t0 = dx_ins_now_ms();
        dx_ins_fmt(out->report_html, sizeof out->report_html, "%s/report.html", in->case_dir);
        dx_ins_fmt(out->report_pdf, sizeof out->report_pdf, "%s/report.pdf", in->case_dir);
        /* the case read once (files hashed, images checked), then the two
         * reports at once: both only read it */
        dx_report_model model;
        dx_status mst = dx_report_model_load(&model, in->case_dir, root, &e);
        report_job pdf = {&model, in->case_dir, out->report_pdf, mst, e, 0};
        pthread_t tid;
        bool threaded = false;
        if (mst == DX_OK && !ahead_draw(&ahead, &pdf) &&
            !(threaded = pthread_create(&tid, NULL, pdf_thread, &pdf) == 0))
            pdf_thread(&pdf);
        if (mst != DX_OK || dx_report_html_of(&model, in->case_dir, out->report_html, &e) != DX_OK) {
            dx_ins_progress(in, "report", "report.html not written: %s", e.message);
            out->report_html[0] = '\0';
        }
        double html_ms = dx_ins_now_ms() - t0;
        /* the pages and references (300 MB at 600 dpi) are not needed by the
         * reports, which read the case: given back while the PDF is drawn
         * rather than at the end */
        ahead_crops_wait(&ahead);
        dx_ins_sides_free(in);
        if (threaded)
            pthread_join(tid, NULL);
        ahead_free(&ahead); /* the helper drew the PDF, or is let go */
        dx_report_model_free(&model);
        if (pdf.st != DX_OK) {
            dx_ins_progress(in, "report", "report.pdf not written: %s", pdf.err.message);
            out->report_pdf[0] = '\0';
        }
        out->report_ms = dx_ins_now_ms() - t0;
        dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "report.html %.1f ms, report.pdf %.1f ms, both %.1f ms",
               html_ms, pdf.ms, out->report_ms);
    }
    out->total_ms = dx_ins_now_ms() - t_start;
    STEP_DONE("reports");
#undef STEP_DONE
    out->findings = root;
    root = NULL;
    out->verdict = rep.verdict;
    out->generic = in->spec == NULL;
    if (in->spec)
        dx_strlcpy(out->specimen_id, dx_specimen_info_get(in->spec)->id, sizeof out->specimen_id);
    st = DX_OK;
fail:
    ahead_free(&ahead);
    /* a case directory this run made and left empty (nothing was captured
     * or copied) goes again: an error leaves no empty case behind */
    if (st != DX_OK && case_created)
        rmdir_empty(in->case_dir, 3);
    dx_rules_report_clear(&rep);
    json_decref(root);
    json_decref(warnings);
    json_decref(files);
    json_decref(rule_files);
    json_decref(doc);
    json_decref(chip_part);
    json_decref(spec_part);
    inspection_free(in);
    free(in);
    return st;
}
