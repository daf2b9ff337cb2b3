/* Capture sets: every requested illumination through a GStreamer pipeline
 *   dxsrc ! videoconvert ! capsfilter ! pngenc ! appsink
 * into one lossless PNG each, hashed and written atomically, with capture.json
 * rewritten after every capture. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/dxsrc.h"
#include "capture/manifest.h"
#include "host/host_internal.h"


static bool file_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= DX_ILLUM_NAME_MAX || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static const char *png_format_for(dxp_pixel_format f, uint32_t *depth, uint32_t *channels,
                                  const char **name)
{
    switch (f) {
    case DXP_PIXEL_GRAY8:
        *depth = 8, *channels = 1, *name = "GRAY8";
        return "GRAY8";
    case DXP_PIXEL_GRAY16:
        *depth = 16, *channels = 1, *name = "GRAY16";
        return "GRAY16_BE"; /* PNG stores 16-bit samples big-endian */
    case DXP_PIXEL_RGB24:
        *depth = 8, *channels = 3, *name = "RGB24";
        return "RGB";
    }
    return NULL;
}

typedef struct frame_result {
    GstBuffer *png;          /* encoded bytes, ref held */
    int64_t received_us;     /* host clock when the encoded frame arrived */
    int64_t timestamp_us, exposure_us;
    bool have_meta;
    dx_status status;        /* from a docex-error message, DX_OK if none */
    char message[512];
} frame_result;

/* Run one pipeline for one illumination on the already open device. */
static dx_status run_pipeline(dx_device *dev, const char *illum, const char *pngfmt, int level,
                              int64_t timeout_ms, frame_result *res, dx_error *err)
{
    GstElement *pipe = gst_pipeline_new(NULL);
    GstElement *src = gst_element_factory_make("dxsrc", NULL);
    GstElement *conv = gst_element_factory_make("videoconvert", NULL);
    GstElement *filt = gst_element_factory_make("capsfilter", NULL);
    GstElement *enc = gst_element_factory_make("pngenc", NULL);
    GstElement *sink = gst_element_factory_make("appsink", NULL);
    GstBus *bus = NULL;
    GstCaps *caps = NULL;
    dx_status st = DX_OK;
    bool done = false;

    if (!pipe || !src || !conv || !filt || !enc || !sink) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "GStreamer elements missing (%s%s%s%s%s): "
                          "install gstreamer1.0-plugins-base and -good", src ? "" : "dxsrc ",
                          conv ? "" : "videoconvert ", filt ? "" : "capsfilter ",
                          enc ? "" : "pngenc ", sink ? "" : "appsink");
        if (pipe) {
            gst_object_unref(pipe);
            pipe = NULL;
        }
        /* elements not yet in a bin are floating: sink them and drop them */
        GstElement *loose[] = {src, conv, filt, enc, sink};
        for (size_t i = 0; i < 5; i++)
            if (loose[i])
                gst_object_unref(gst_object_ref_sink(loose[i]));
        return st;
    }
    g_object_set(src, "device-handle", (gpointer)dev, "illumination", illum, "num-buffers", 1,
                 NULL);
    caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, pngfmt, NULL);
    g_object_set(filt, "caps", caps, NULL);
    gst_caps_unref(caps);
    g_object_set(enc, "compression-level", (guint)level, "snapshot", FALSE, NULL);
    /* appsink would hold EOS back until its queue is pulled: let it through */
    g_object_set(sink, "sync", FALSE, "max-buffers", 0, "emit-signals", FALSE, "wait-on-eos",
                 FALSE, NULL);
    gst_bin_add_many(GST_BIN(pipe), src, conv, filt, enc, sink, NULL);
    if (!gst_element_link_many(src, conv, filt, enc, sink, NULL)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "cannot link the capture pipeline for %s", illum);
        goto out;
    }
    bus = gst_element_get_bus(pipe);
    if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        /* the error is on the bus: read it below */
    }
    while (!done) {
        GstMessage *msg = gst_bus_timed_pop_filtered(
            bus, (GstClockTime)timeout_ms * GST_MSECOND,
            GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
        if (!msg) {
            st = dx_error_set(err, DX_ERR_TIMEOUT, "capture under %s: no frame within %lld s",
                              illum, (long long)(timeout_ms / 1000));
            break;
        }
        switch (GST_MESSAGE_TYPE(msg)) {
        case GST_MESSAGE_ELEMENT: {
            const GstStructure *s = gst_message_get_structure(msg);
            if (s && gst_structure_has_name(s, DX_GST_MSG_FRAME)) {
                gint64 v;
                if (gst_structure_get_int64(s, "timestamp-us", &v))
                    res->timestamp_us = v;
                if (gst_structure_get_int64(s, "exposure-us", &v))
                    res->exposure_us = v;
                res->have_meta = true;
            } else if (s && gst_structure_has_name(s, DX_GST_MSG_ERROR)) {
                gint code = DX_ERR_INTERNAL;
                const char *m = gst_structure_get_string(s, "message");
                gst_structure_get_int(s, "status", &code);
                res->status = (dx_status)code;
                dx_strlcpy(res->message, m ? m : dx_status_str(code), sizeof res->message);
            }
            break;
        }
        case GST_MESSAGE_ERROR: {
            GError *gerr = NULL;
            gchar *dbg = NULL;
            gst_message_parse_error(msg, &gerr, &dbg);
            if (res->status == DX_OK) {
                res->status = DX_ERR_INTERNAL;
                snprintf(res->message, sizeof res->message, "capture pipeline under %s: %s",
                         illum, gerr ? gerr->message : "unknown error");
            }
            dx_log(DX_CAT_CAPTURE, DX_LOG_DEBUG, "pipeline error under %s: %s (%s)", illum,
                   gerr ? gerr->message : "?", dbg ? dbg : "");
            g_clear_error(&gerr);
            g_free(dbg);
            st = dx_error_set(err, res->status, "%s", res->message);
            done = true;
            break;
        }
        case GST_MESSAGE_EOS: {
            GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 0);
            if (!sample) {
                st = dx_error_set(err, DX_ERR_INTERNAL, "capture under %s: pipeline ended "
                                  "without an encoded frame", illum);
            } else {
                res->png = gst_buffer_ref(gst_sample_get_buffer(sample));
                res->received_us = dx_now_us();
                gst_sample_unref(sample);
            }
            done = true;
            break;
        }
        default:
            break;
        }
        gst_message_unref(msg);
    }
out:
    gst_element_set_state(pipe, GST_STATE_NULL);
    if (bus)
        gst_object_unref(bus);
    gst_object_unref(pipe);
    return st;
}

/* Capture one illumination and record it (or its failure) in the manifest. */
static dx_status capture_one(dx_device *dev, const dx_illumination *il, const char *dir,
                             int level, int64_t timeout_ms, dx_manifest *m, dx_error *err)
{
    dxp_frame_format fmt;
    dx_capture_record rec;
    frame_result res = {.exposure_us = -1};
    const char *pngfmt;
    GstMapInfo map;
    dx_status st;

    memset(&rec, 0, sizeof rec);
    if (!file_name_ok(il->name))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "illumination name \"%s\" cannot be a "
                            "file name", il->name);
    if ((st = dx_device_frame_format(dev, il->name, &fmt, err)) != DX_OK)
        return st;
    pngfmt = png_format_for(fmt.format, &rec.bit_depth, &rec.channels, &rec.pixel_format);
    if (!pngfmt)
        return dx_error_set(err, DX_ERR_PROTOCOL, "unknown pixel format %d", (int)fmt.format);
    if ((st = run_pipeline(dev, il->name, pngfmt, level, timeout_ms, &res, err)) != DX_OK)
        goto out;
    if (!gst_buffer_map(res.png, &map, GST_MAP_READ)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "cannot map the encoded frame");
        goto out;
    }
    snprintf(rec.file, sizeof rec.file, "%s.png", il->name);
    st = dx_file_write_atomic(dir, rec.file, map.data, map.size, rec.sha256, err);
    rec.bytes = map.size;
    gst_buffer_unmap(res.png, &map);
    if (st != DX_OK)
        goto out;
    rec.illum = *il;
    rec.width = fmt.width;
    rec.height = fmt.height;
    rec.dpi = fmt.dpi;
    rec.host_time_us = res.received_us;
    /* the device's exposure time when it gives one, else the host's */
    rec.timestamp_us = res.have_meta && res.timestamp_us > 0 ? res.timestamp_us : res.received_us;
    rec.exposure_us = res.exposure_us;
    if (dx_manifest_add_capture(m, &rec) != DX_OK)
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
out:
    if (res.png)
        gst_buffer_unref(res.png);
    return st;
}

static dx_status make_dir(const char *dir, dx_error *err)
{
    struct stat st;
    char path[4096];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return dx_error_set(err, DX_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return dx_error_set(err, DX_ERR_IO, "%s is not a directory", dir);
    snprintf(path, sizeof path, "%s/%s", dir, DX_CAPTURE_MANIFEST);
    if (stat(path, &st) == 0)
        return dx_error_set(err, DX_ERR_STATE, "%s already holds a capture set (%s); choose a "
                            "new directory so nothing captured before is overwritten", dir,
                            DX_CAPTURE_MANIFEST);
    return DX_OK;
}

static dx_status init_gst(dx_error *err)
{
    GError *gerr = NULL;
    if (!gst_init_check(NULL, NULL, &gerr)) {
        dx_status st = dx_error_set(err, DX_ERR_INTERNAL, "GStreamer cannot start: %s",
                                    gerr ? gerr->message : "unknown error");
        g_clear_error(&gerr);
        return st;
    }
    if (!dx_gst_register(NULL))
        return dx_error_set(err, DX_ERR_INTERNAL, "cannot register the dxsrc element");
    return DX_OK;
}

/* Resolve the illuminations to capture: NULL, {NULL} or {"all"} = every one
 * the device offers; otherwise each must be offered. */
static dx_status resolve_request(dx_device *dev, const char *const *want, dx_manifest *m,
                                 const dx_illumination ***out, size_t *n, dx_error *err)
{
    bool all = !want || !want[0] || (strcmp(want[0], "all") == 0 && !want[1]);
    size_t cnt = all ? dx_device_illumination_count(dev) : 0;
    const dx_illumination **list;
    if (!all)
        while (want[cnt])
            cnt++;
    if (cnt == 0)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "device %s offers no illumination to "
                            "capture", dx_device_id(dev));
    list = calloc(cnt, sizeof *list);
    m->requested = calloc(cnt, sizeof *m->requested);
    if (!list || !m->requested) {
        free(list);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < cnt; i++) {
        const dx_illumination *il = all ? dx_device_illumination_at(dev, i)
                                        : dx_device_illumination_find(dev, want[i]);
        if (!il) {
            dx_status st;
            /* dx_device_frame_format words the "offers no illumination" error */
            dxp_frame_format f;
            st = dx_device_frame_format(dev, want[i], &f, err);
            free(list);
            return st != DX_OK ? st
                               : dx_error_set(err, DX_ERR_INVALID_ARG, "no illumination %s",
                                              want[i]);
        }
        for (size_t k = 0; k < i; k++)
            if (list[k] == il) {
                free(list);
                return dx_error_set(err, DX_ERR_INVALID_ARG, "illumination %s requested twice",
                                    il->name);
            }
        list[i] = il;
        m->requested[i] = dx_strdup(il->name);
        m->n_requested = i + 1;
    }
    *out = list;
    *n = cnt;
    return DX_OK;
}

/* Watches opts->interrupt (set from a signal handler) and cancels the device's
 * running capture when it is raised: a signal handler itself may not take the
 * host's locks. */
typedef struct interrupt_watch {
    dx_device *dev;
    const volatile sig_atomic_t *flag;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    pthread_t thread;
    bool running;
} interrupt_watch;

static bool interrupted(const dx_capture_options *opts)
{
    return opts->interrupt && *opts->interrupt;
}

static void *interrupt_main(void *arg)
{
    interrupt_watch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until;
        if (*w->flag) {
            pthread_mutex_unlock(&w->lock);
            dx_device_cancel(w->dev);
            pthread_mutex_lock(&w->lock);
        }
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void interrupt_watch_start(interrupt_watch *w, dx_device *dev,
                                  const volatile sig_atomic_t *flag)
{
    memset(w, 0, sizeof *w);
    if (!flag)
        return;
    w->dev = dev;
    w->flag = flag;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->running = pthread_create(&w->thread, NULL, interrupt_main, w) == 0;
    if (!w->running) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
    }
}

static void interrupt_watch_stop(interrupt_watch *w)
{
    if (!w->running)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->running = false;
}

dx_status dx_capture_set_write(dx_host *host, const dx_capture_options *opts,
                               dx_capture_progress progress, void *user, dx_error *err)
{
    dx_device *dev = NULL;
    dx_manifest m;
    const dx_illumination **list = NULL;
    size_t n = 0;
    dx_status st, first_fail = DX_OK;
    int level;
    int64_t timeout_ms;
    interrupt_watch watch = {0};

    memset(&m, 0, sizeof m);
    if (!host || !opts || !opts->device || !opts->out_dir)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "capture: device and output directory "
                            "are required");
    level = opts->png_compression < 0 ? DX_CAPTURE_PNG_DEFAULT_LEVEL : opts->png_compression;
    if (level > 9)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PNG compression level %d is not 0..9",
                            level);
    timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DX_CAPTURE_DEFAULT_TIMEOUT_MS;
    if ((st = init_gst(err)) != DX_OK)
        return st;
    if ((st = dx_device_open(host, opts->device, &dev, err)) != DX_OK)
        return st;
    if (!dx_device_can_capture(dev)) {
        st = dx_error_set(err, DX_ERR_UNSUPPORTED, "device %s cannot capture images",
                          opts->device);
        goto out;
    }
    if ((st = dx_device_set_options(dev, opts->device_settings, err)) != DX_OK)
        goto out;
    if ((st = resolve_request(dev, opts->illuminations, &m, &list, &n, err)) != DX_OK)
        goto out;
    if ((st = make_dir(opts->out_dir, err)) != DX_OK)
        goto out;

    dx_strlcpy(m.device_id, opts->device, sizeof m.device_id);
    m.plugin = *dx_device_plugin(dev);
    m.info = *dx_device_info(dev);
    dx_strlcpy(m.settings, opts->device_settings ? opts->device_settings : "", sizeof m.settings);
    m.png_compression = level;
    m.started_us = dx_now_us();
    if ((st = dx_manifest_write(&m, opts->out_dir, err)) != DX_OK)
        goto out;

    interrupt_watch_start(&watch, dev, opts->interrupt);
    for (size_t i = 0; i < n; i++) {
        dx_error e = {0};
        dx_status cst;
        if (interrupted(opts)) {
            cst = dx_error_set(&e, DX_ERR_CANCELLED, "capture under %s: interrupted before it "
                               "started", list[i]->name);
        } else {
            cst = capture_one(dev, list[i], opts->out_dir, level, timeout_ms, &m, &e);
            if (cst == DX_ERR_CANCELLED && interrupted(opts))
                dx_error_set(&e, DX_ERR_CANCELLED, "capture under %s: interrupted",
                             list[i]->name);
        }
        st = cst;
        if (st != DX_OK) {
            dx_log(DX_CAT_CAPTURE, DX_LOG_INFO, "%s", e.message);
            if (dx_manifest_add_failure(&m, list[i]->name, st, e.message) != DX_OK) {
                st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
                goto out;
            }
            if (first_fail == DX_OK) {
                first_fail = st;
                if (err)
                    *err = e;
            }
            if (progress)
                progress(list[i]->name, NULL, st, e.message, user);
        } else if (progress) {
            progress(list[i]->name, m.captures[m.n_captures - 1].file, DX_OK,
                     m.captures[m.n_captures - 1].sha256, user);
        }
        /* the manifest on disk always says what exists so far */
        if ((st = dx_manifest_write(&m, opts->out_dir, err)) != DX_OK)
            goto out;
        if (cst == DX_ERR_DISCONNECTED || cst == DX_ERR_CANCELLED) {
            /* nothing more can come from this device: record the rest as not done */
            for (size_t k = i + 1; k < n; k++)
                dx_manifest_add_failure(&m, list[k]->name, cst,
                                        interrupted(opts)
                                            ? "not captured: interrupted before this one"
                                            : "not captured: the device stopped before this one");
            break;
        }
    }
    interrupt_watch_stop(&watch);
    m.finished_us = dx_now_us();
    if ((st = dx_manifest_write(&m, opts->out_dir, err)) != DX_OK)
        goto out;
    st = first_fail;
out:
    interrupt_watch_stop(&watch);
    free(list);
    dx_manifest_clear(&m);
    dx_device_free(dev);
    return st;
}
