/* The captured document: sides x lights, decoded on first use, registered
 * once per side (image/register.h) and resampled into page coordinates at the
 * measurement dpi; and the specimen's reference images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#include "host/host_internal.h"
#include "inspect/inspect_internal.h"

void dx_ins_fmt(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    if (!size)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

double dx_ins_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

ins_light *dx_ins_light(dx_inspection *in, size_t s, const char *name)
{
    if (s >= in->n_sides || !name)
        return NULL;
    for (size_t i = 0; i < in->sides[s].n_lights; i++)
        if (strcmp(in->sides[s].lights[i].name, name) == 0)
            return &in->sides[s].lights[i];
    return NULL;
}

/* Decode the capture (any thread: touches only l). */
static void light_decode(ins_light *l)
{
    double t0 = dx_ins_now_ms();
    dx_error e = {0};
    l->loaded = true;
    l->load_status = dx_png_load(l->path, &l->png, &e);
    if (l->load_status != DX_OK)
        dx_ins_fmt(l->load_error, sizeof l->load_error, "%s: %s", l->rel, e.message);
    else if (l->dpi <= 0)
        l->dpi = l->png.dpi;
    l->ms_decode += dx_ins_now_ms() - t0;
}

/* Decode l unless another thread does or did: true when this thread did,
 * with the time it took in *ms (if not NULL).  With wait, a light another
 * thread is decoding is waited for.  l's fields are touched only by the
 * thread that won it, and read by others only once it is 2. */
static bool light_decode_once(ins_light *l, bool wait, double *ms)
{
    int idle = 0;
    if (atomic_compare_exchange_strong(&l->decoding, &idle, 1)) {
        double before = l->ms_decode;
        light_decode(l);
        if (ms)
            *ms = l->ms_decode - before;
        atomic_store(&l->decoding, 2);
        return true;
    }
    while (wait && atomic_load(&l->decoding) != 2) {
        struct timespec ts = {0, 200000}; /* 0.2 ms: a decode takes tens */
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The first side's lights decoded on a thread of their own while the MRZ is
 * read, the specimen found and the page registered (the registration light
 * first, which the registration waits for); whoever needs a light the thread
 * is decoding waits for it, a light another thread took is left to it. */
static void *predecode_main(void *arg)
{
    dx_inspection *in = arg;
    for (size_t k = 0; k < in->n_pre && !atomic_load(&in->pre_stop); k++)
        light_decode_once(in->pre[k], false, NULL);
    return NULL;
}

static void predecode_join(dx_inspection *in)
{
    if (in->pre_running) {
        atomic_store(&in->pre_stop, true);
        pthread_join(in->pre_tid, NULL);
        in->pre_running = false;
    }
}

dx_status dx_ins_light_load(dx_inspection *in, ins_light *l, dx_error *err)
{
    double ms;
    if (light_decode_once(l, true, &ms))
        in->t_load += ms;
    if (l->load_status != DX_OK)
        return dx_error_set(err, l->load_status, "%s", l->load_error);
    return DX_OK;
}

/* The light registration is estimated on: white, else the first reflected
 * light, else anything. */
static ins_light *registration_light(dx_inspection *in, size_t s)
{
    ins_side *sd = &in->sides[s];
    ins_light *l = dx_ins_light(in, s, "white");
    if (l)
        return l;
    for (size_t i = 0; i < sd->n_lights; i++)
        if (!sd->lights[i].transmitted)
            return &sd->lights[i];
    return sd->n_lights ? &sd->lights[0] : NULL;
}

void dx_ins_predecode(dx_inspection *in)
{
    ins_light *reg;
    ins_side *sd = &in->sides[0];
    if (in->pre_running || in->n_pre || !in->n_sides || !(reg = registration_light(in, 0)))
        return;
    /* the registration light, then the others largest file first (the
     * longest to decode) */
    off_t size[INS_MAX_LIGHTS];
    in->pre[in->n_pre++] = reg;
    for (size_t i = 0; i < sd->n_lights; i++) {
        struct stat sb;
        ins_light *l = &sd->lights[i];
        if (l == reg)
            continue;
        off_t sz = stat(l->path, &sb) == 0 ? sb.st_size : 0;
        size_t k = in->n_pre++;
        for (; k > 1 && size[k - 1] < sz; k--)
            in->pre[k] = in->pre[k - 1], size[k] = size[k - 1];
        in->pre[k] = l, size[k] = sz;
    }
    atomic_store(&in->pre_stop, false);
    if (pthread_create(&in->pre_tid, NULL, predecode_main, in) == 0)
        in->pre_running = true;
}

/* Where the MRZ lies on the page: the specimen's "mrz" element of this side,
 * else the bottom of the page (w = 0). */
static dx_reg_rect mrz_rect(dx_inspection *in, size_t s)
{
    dx_reg_rect r = {0, 0, 0, 0};
    if (in->spec) {
        const dx_specimen_element *e = dx_specimen_element_find(in->spec, "mrz");
        if (e && e->side == s) {
            r.x = e->rect.x;
            r.y = e->rect.y;
            r.w = e->rect.w;
            r.h = e->rect.h;
        }
    }
    return r;
}

dx_status dx_ins_register(dx_inspection *in, size_t s, dx_error *err)
{
    ins_side *sd;
    if (s >= in->n_sides)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "the document has no side %zu", s + 1);
    sd = &in->sides[s];
    if (!sd->reg_status && !sd->registered) {
        ins_light *l = registration_light(in, s);
        dx_error e = {0};
        double t0;
        if (!l) {
            sd->reg_status = DX_ERR_NOT_FOUND;
            dx_ins_fmt(sd->reg_error, sizeof sd->reg_error, "side %s: no capture", sd->name);
            return dx_error_set(err, sd->reg_status, "%s", sd->reg_error);
        }
        if ((sd->reg_status = dx_ins_light_load(in, l, &e)) != DX_OK) {
            dx_ins_fmt(sd->reg_error, sizeof sd->reg_error, "%s", e.message);
            return dx_error_set(err, sd->reg_status, "%s", sd->reg_error);
        }
        t0 = dx_ins_now_ms();
        dx_reg_options ro = {.transmitted = l->transmitted ? 1 : -1};
        if (in->have_mrz && in->mrz_side == s) {
            ins_light *ml = dx_ins_light(in, s, in->mrz_light);
            /* the MRZ's corners are in that capture's pixels: the same
             * geometry as every light of the side when the sizes agree */
            if (ml && atomic_load(&ml->decoding) == 2 && ml->loaded && ml->load_status == DX_OK &&
                ml->png.view.width == l->png.view.width &&
                ml->png.view.height == l->png.view.height) {
                ro.mrz = &in->mrz;
                ro.mrz_rect_mm = mrz_rect(in, s);
            }
        }
        sd->reg_status = dx_reg_estimate(&l->png.view, l->dpi > 0 ? l->dpi : in->dpi,
                                         in->page_w_mm, in->page_h_mm, &ro, &sd->t, &e);
        in->t_registration += dx_ins_now_ms() - t0;
        if (sd->reg_status != DX_OK) {
            dx_ins_fmt(sd->reg_error, sizeof sd->reg_error, "side %s: the page was not found in %s: %s",
                     sd->name, l->rel, e.message);
            return dx_error_set(err, sd->reg_status, "%s", sd->reg_error);
        }
        dx_strlcpy(sd->reg_light, l->name, sizeof sd->reg_light);
        sd->registered = true;
        dx_log(DX_CAT_INSPECT, DX_LOG_INFO,
               "side %s: page found in %s: rotation %.2f deg, %.3f px/mm, confidence %.2f",
               sd->name, l->rel, sd->t.rotation_deg, sd->t.scale, sd->t.confidence);
    }
    if (sd->reg_status != DX_OK)
        return dx_error_set(err, sd->reg_status, "%s", sd->reg_error);
    return DX_OK;
}

/* Resample a decoded capture of a registered side into page coordinates
 * (any thread: touches only l; reads the side's transform). */
static void light_resample(const ins_side *sd, ins_light *l, double dpi)
{
    double t0 = dx_ins_now_ms();
    dx_error e = {0};
    const dx_reg_transform *t = &sd->t;
    if (l->png.view.width != t->width || l->png.view.height != t->height) {
        l->page_status = DX_ERR_DATA;
        dx_ins_fmt(l->page_error, sizeof l->page_error,
                   "%s is %ux%u pixels, the side's other captures %ux%u: not one capture set", l->rel,
                   l->png.view.width, l->png.view.height, t->width, t->height);
    } else if ((l->page_status = dx_reg_resample(&l->png.view, t, dpi, NULL, &l->page, &e)) != DX_OK) {
        dx_ins_fmt(l->page_error, sizeof l->page_error, "%s: %s", l->rel, e.message);
    } else {
        l->resampled = true;
        /* the decoded capture is not needed any more (decoded again on
         * demand): keeps a six-light 600 dpi set in memory bounds */
        if (strcmp(l->name, sd->reg_light) != 0) {
            dx_png_image_free(&l->png);
            l->loaded = false;
            atomic_store(&l->decoding, 0); /* decoded again if asked for */
        }
    }
    l->ms_resample += dx_ins_now_ms() - t0;
}

dx_status dx_ins_page(dx_inspection *in, size_t s, const char *light, const dx_reg_image **out,
                      dx_error *err)
{
    ins_light *l = dx_ins_light(in, s, light);
    dx_status st;
    if (!l)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "no capture under %s%s%s", light,
                            in->n_sides > 1 ? " on side " : "",
                            in->n_sides > 1 && s < in->n_sides ? in->sides[s].name : "");
    if (!l->resampled && !l->page_status) {
        dx_error e = {0};
        if ((st = dx_ins_register(in, s, &e)) != DX_OK || (st = dx_ins_light_load(in, l, &e)) != DX_OK) {
            l->page_status = st;
            dx_ins_fmt(l->page_error, sizeof l->page_error, "%s", e.message);
        } else {
            double before = l->ms_resample;
            light_resample(&in->sides[s], l, in->dpi);
            in->t_registration += l->ms_resample - before;
        }
    }
    if (!l->resampled)
        return dx_error_set(err, l->page_status ? l->page_status : DX_ERR_DATA, "%s",
                            l->page_error);
    *out = &l->page;
    return DX_OK;
}

/* The reference slot of side s under `light` (created, not loaded). */
static ins_ref *ref_slot(dx_inspection *in, size_t s, const char *light)
{
    ins_side *sd = &in->sides[s];
    ins_ref *r;
    for (size_t k = 0; k < sd->n_refs; k++)
        if (strcmp(sd->refs[k].light, light) == 0)
            return &sd->refs[k];
    if (sd->n_refs >= INS_MAX_LIGHTS)
        return NULL;
    r = &sd->refs[sd->n_refs++];
    memset(r, 0, sizeof *r);
    dx_strlcpy(r->light, light, sizeof r->light);
    r->status = DX_ERR_UNSUPPORTED;
    dx_ins_fmt(r->error, sizeof r->error, "specimen %s has no reference image of side %s under %s",
               dx_specimen_info_get(in->spec)->id, sd->name, light);
    for (size_t i = 0; i < dx_specimen_reference_count(in->spec); i++) {
        const dx_specimen_reference *ref = dx_specimen_reference_at(in->spec, i);
        if (ref->side == s && strcmp(ref->illumination, light) == 0 && ref->present) {
            dx_strlcpy(r->path, ref->path, sizeof r->path);
            dx_strlcpy(r->file, ref->file, sizeof r->file);
            r->status = DX_OK;
            r->error[0] = '\0';
        }
    }
    return r;
}

/* Keep a decoded reference page in the cache (a debug line says whether). */
static void ref_keep(const char *path, const char *key, const dx_reg_image *img)
{
    bool kept = dx_ins_refcache_store(key, img);
    dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "reference %s: decoded, %s", path,
           kept ? "kept in the cache" : "not kept in the cache");
}

/* The pages dx_ins_prepare decoded, kept in the cache while the inspection
 * goes on: writing and syncing 120 MB is no work for the inspection to
 * wait for. */
static void *cache_main(void *arg)
{
    dx_inspection *in = arg;
    for (size_t k = 0; k < in->n_cache_refs; k++)
        ref_keep(in->cache_refs[k]->path, in->cache_refs[k]->cache_key, &in->cache_refs[k]->img);
    return NULL;
}

/* After the pool: the references it decoded, listed now (a reference loaded
 * later, on first use, is kept at once). */
static void cache_start(dx_inspection *in)
{
    if (in->cache_running)
        return;
    in->n_cache_refs = 0;
    for (size_t s = 0; s < in->n_sides; s++)
        for (size_t k = 0; k < in->sides[s].n_refs; k++) {
            ins_ref *r = &in->sides[s].refs[k];
            if (r->loaded && r->status == DX_OK && r->cache_key[0])
                in->cache_refs[in->n_cache_refs++] = r;
        }
    if (!in->n_cache_refs)
        return;
    if (pthread_create(&in->cache_tid, NULL, cache_main, in) == 0)
        in->cache_running = true;
    else
        cache_main(in);
}

static void cache_join(dx_inspection *in)
{
    if (in->cache_running) {
        pthread_join(in->cache_tid, NULL);
        in->cache_running = false;
    }
}

/* Reference files are PNGs the build drew; a bound for reading one. */
#define MAX_REFERENCE_BYTES ((size_t)256 * 1024 * 1024)

dx_status dx_ins_reference_load(const dx_specimen *spec, const char *path, dx_reg_image *out,
                                char sha[65], char cache_key[DX_INS_CACHE_KEY], dx_error *err)
{
    uint8_t *buf;
    size_t len;
    dx_png_image png = {0};
    dx_status st;
    char hex[65], key[DX_INS_CACHE_KEY], dir[4096];
    const dx_specimen_info *si = dx_specimen_info_get(spec);
    bool cache = dx_ins_cache_dir(dir, sizeof dir);
    memset(out, 0, sizeof *out);
    if (cache_key)
        cache_key[0] = '\0';
    if ((st = dx_file_read(path, MAX_REFERENCE_BYTES, &buf, &len, err)) != DX_OK)
        return st;
    dx_sha256_hex(buf, len, hex); /* the bytes decoded, read once */
    if (sha)
        memcpy(sha, hex, sizeof hex);
    /* the page depends on the bytes (their pHYs too) and on what the
     * specimen says of its pages: decoded before when the cache has it */
    dx_ins_fmt(key, sizeof key, "%s-%d-%.15gx%.15g@%s", hex, si->reference_dpi, si->page_width_mm,
               si->page_height_mm, dx_ins_cache_build());
    if (cache && dx_ins_refcache_load(key, out)) {
        dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "reference %s: page from the cache", path);
        free(buf);
        return DX_OK;
    }
    st = dx_png_decode(buf, len, path, &png, err);
    free(buf);
    if (st == DX_OK) {
        double dpi = png.dpi > 0 ? png.dpi : si->reference_dpi;
        dx_reg_transform t;
        dx_reg_identity(dpi, si->page_width_mm, si->page_height_mm, png.view.width, png.view.height, &t);
        st = dx_reg_resample(&png.view, &t, dpi, NULL, out, err);
    }
    dx_png_image_free(&png);
    if (st == DX_OK && cache && cache_key)
        dx_strlcpy(cache_key, key, DX_INS_CACHE_KEY);
    else if (st == DX_OK && cache)
        ref_keep(path, key, out);
    return st;
}

/* Load reference r (any thread: touches only r; reads the specimen). */
static void ref_load(const dx_specimen *spec, ins_ref *r)
{
    dx_error e = {0};
    double t0 = dx_ins_now_ms();
    r->loaded = true;
    if (r->status != DX_OK)
        return;
    if ((r->status = dx_ins_reference_load(spec, r->path, &r->img, r->sha256, r->cache_key, &e)) != DX_OK)
        dx_ins_fmt(r->error, sizeof r->error, "reference %s: %s", r->file, e.message);
    r->ms = dx_ins_now_ms() - t0;
}

dx_status dx_ins_reference(dx_inspection *in, size_t s, const char *light,
                           const dx_reg_image **out, const char **path, const char **sha256,
                           dx_error *err)
{
    ins_ref *r;
    if (!in->spec)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "no specimen: nothing to compare with");
    if (s >= in->n_sides)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "the document has no side %zu", s + 1);
    if (!(r = ref_slot(in, s, light)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "too many reference lights");
    if (!r->loaded) {
        ref_load(in->spec, r);
        in->t_load += r->ms;
        if (r->status == DX_OK && r->cache_key[0])
            ref_keep(r->path, r->cache_key, &r->img);
        r->cache_key[0] = '\0'; /* kept: not again after the prepare step */
    }
    if (r->status != DX_OK)
        return dx_error_set(err, r->status, "%s", r->error);
    *out = &r->img;
    if (path)
        *path = r->path;
    if (sha256)
        *sha256 = r->sha256;
    return DX_OK;
}

/* ---- everything at once, on every core ---------------------------------- */

typedef struct prep_task {
    ins_side *side;
    ins_light *light; /* or */
    ins_ref *ref;     /* or, with neither: the visual zone's expectation */
} prep_task;

/* ---- a pool: fn(ctx, i) for every i, on every core ---------------------- */

typedef struct par_pool {
    size_t n;
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    atomic_size_t next;
} par_pool;

static void *par_worker(void *arg)
{
    par_pool *p = arg;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
        p->fn(p->ctx, i);
    return NULL;
}

void dx_ins_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    par_pool pool = {.n = n, .fn = fn, .ctx = ctx};
    pthread_t tid[7];
    int started = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    atomic_init(&pool.next, 0);
    /* this thread is one of them; at most 8 */
    for (long k = 1; k < cores && k < 8 && (size_t)k < n; k++)
        if (pthread_create(&tid[started], NULL, par_worker, &pool) == 0)
            started++;
    par_worker(&pool);
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
}

typedef struct prep_ctx {
    dx_inspection *in;
    prep_task *tasks;
} prep_ctx;

static void prep_one(void *arg, size_t i)
{
    prep_ctx *p = arg;
    prep_task *t = &p->tasks[i];
    if (!t->ref && !t->light) {
        dx_ins_viz_prepare(p->in);
    } else if (t->ref) {
        ref_load(p->in->spec, t->ref);
    } else {
        light_decode_once(t->light, true, NULL);
        if (t->light->load_status != DX_OK) {
            t->light->page_status = t->light->load_status;
            dx_ins_fmt(t->light->page_error, sizeof t->light->page_error, "%s", t->light->load_error);
        } else {
            light_resample(t->side, t->light, p->in->dpi);
        }
    }
}

void dx_ins_prepare(dx_inspection *in)
{
    predecode_join(in); /* its light is one of the tasks' */
    prep_task tasks[INS_MAX_SIDES * INS_MAX_LIGHTS * 3 + 1];
    size_t n = 0;
    double t0 = dx_ins_now_ms(), decode = 0, resample = 0, refs = 0;
    for (size_t s = 0; s < in->n_sides; s++) {
        ins_side *sd = &in->sides[s];
        dx_error e = {0};
        if (dx_ins_register(in, s, &e) != DX_OK)
            continue;
        for (size_t i = 0; i < sd->n_lights; i++) {
            ins_light *l = &sd->lights[i];
            if (l->resampled || l->page_status)
                continue;
            decode -= l->ms_decode;
            resample -= l->ms_resample;
            tasks[n++] = (prep_task){sd, l, NULL};
            if (in->spec) {
                ins_ref *r = ref_slot(in, s, l->name);
                if (r && !r->loaded)
                    tasks[n++] = (prep_task){sd, NULL, r};
            }
        }
    }
    if (in->spec) {
        /* the references of lights a feature names that were not captured
         * (their evidence crops show them), and the visual-zone fields the
         * MRZ determines (drawn with pango: 100 ms and more on one core) */
        for (size_t f = 0; f < dx_specimen_feature_count(in->spec); f++) {
            const dx_specimen_feature *ft = dx_specimen_feature_at(in->spec, f);
            if (ft->side >= in->n_sides || in->sides[ft->side].reg_status != DX_OK)
                continue;
            for (size_t k = 0; k < ft->n_illuminations; k++) {
                ins_ref *r = ref_slot(in, ft->side, ft->illuminations[k]);
                bool queued = false;
                for (size_t q = 0; r && q < n; q++)
                    queued = queued || tasks[q].ref == r;
                if (r && !r->loaded && r->status == DX_OK && !queued &&
                    n < sizeof tasks / sizeof tasks[0] - 1)
                    tasks[n++] = (prep_task){&in->sides[ft->side], NULL, r};
            }
        }
        if (in->have_mrz)
            tasks[n++] = (prep_task){NULL, NULL, NULL};
    }
    prep_ctx ctx = {in, tasks};
    dx_ins_parallel(n, prep_one, &ctx);
    cache_start(in);
    for (size_t i = 0; i < n; i++) {
        if (!tasks[i].ref && !tasks[i].light)
            continue;
        if (tasks[i].ref)
            dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "reference %s: %.1f ms", tasks[i].ref->light, tasks[i].ref->ms);
        else
            dx_log(DX_CAT_INSPECT, DX_LOG_DEBUG, "%s: decoded in %.1f ms, resampled in %.1f ms",
                   tasks[i].light->rel, tasks[i].light->ms_decode, tasks[i].light->ms_resample);
        if (tasks[i].ref)
            refs += tasks[i].ref->ms;
        else {
            decode += tasks[i].light->ms_decode;
            resample += tasks[i].light->ms_resample;
        }
    }
    /* the stages share the wall time in proportion to their work */
    double wall = dx_ins_now_ms() - t0, work = decode + refs + resample;
    if (work > 0) {
        in->t_load += wall * (decode + refs) / work;
        in->t_registration += wall * resample / work;
    }
}

void dx_ins_sides_free(dx_inspection *in)
{
    predecode_join(in);
    cache_join(in); /* it reads the reference pages */
    for (size_t s = 0; s < in->n_sides; s++) {
        ins_side *sd = &in->sides[s];
        for (size_t i = 0; i < sd->n_lights; i++) {
            if (sd->lights[i].loaded && sd->lights[i].load_status == DX_OK)
                dx_png_image_free(&sd->lights[i].png);
            dx_reg_image_free(&sd->lights[i].page);
        }
        for (size_t k = 0; k < sd->n_refs; k++)
            dx_reg_image_free(&sd->refs[k].img);
        sd->n_refs = 0;
    }
    in->n_sides = 0;
}
