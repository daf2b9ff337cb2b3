/* gst_dxsrc — the dxsrc element in real pipelines (dxsrc ! appsink).
 *
 * For every illumination the sim's default scene offers: caps, buffer sizes,
 * pixels (against a direct dx_device_capture) and the docex-frame bus
 * messages.  Then the failures: unknown illumination, unknown device, a bad
 * option, no document (each a docex-error with its status and an ERROR), and a
 * slow capture cancelled by shutting the pipeline down.
 *
 * With --static the test runs without libgstdocex.so on GST_PLUGIN_PATH, so
 * dx_gst_register(NULL) registers dxsrc as a static element of this process. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "capture/dxsrc.h"
#include "docex/docex.h"
#include "dxtest.h"

#define MAX_FRAMES 8

/* The caps format dxsrc must give for a device format (libdocex's own helper
 * is internal). */
static const char *caps_format(dxp_pixel_format f)
{
    return f == DXP_PIXEL_GRAY8 ? "GRAY8" : f == DXP_PIXEL_GRAY16 ? "GRAY16_LE"
                                          : f == DXP_PIXEL_RGB24 ? "RGB" : "?";
}

/* What the bus carried during one pipeline run (filled by a sync handler, so
 * nothing is lost when the pipeline goes to NULL). */
typedef struct run_log {
    GMutex lock;
    bool eos, error;
    char error_text[1024];
    bool error_has_status;
    int error_details_status;
    int n_frames;
    GstStructure *frames[MAX_FRAMES];
    int n_docex_errors;
    int docex_status;
    char docex_status_name[64];
    char docex_message[1024];
} run_log;

static GstBusSyncReply on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    run_log *log = data;
    const GstStructure *s;

    g_mutex_lock(&log->lock);
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
        log->eos = true;
        break;
    case GST_MESSAGE_ERROR: {
        GError *gerr = NULL;
        const GstStructure *details = NULL;
        gst_message_parse_error(msg, &gerr, NULL);
        gst_message_parse_error_details(msg, &details);
        if (!log->error) {
            snprintf(log->error_text, sizeof log->error_text, "%s",
                     gerr ? gerr->message : "(none)");
            log->error_has_status = details && gst_structure_get_int(
                                                   details, "status", &log->error_details_status);
        }
        log->error = true;
        g_clear_error(&gerr);
        break;
    }
    case GST_MESSAGE_ELEMENT:
        s = gst_message_get_structure(msg);
        if (gst_structure_has_name(s, DX_GST_MSG_FRAME)) {
            if (log->n_frames < MAX_FRAMES)
                log->frames[log->n_frames] = gst_structure_copy(s);
            log->n_frames++;
        } else if (gst_structure_has_name(s, DX_GST_MSG_ERROR)) {
            const char *name = gst_structure_get_string(s, "status-name");
            const char *text = gst_structure_get_string(s, "message");
            if (log->n_docex_errors == 0) {
                if (!gst_structure_get_int(s, "status", &log->docex_status))
                    log->docex_status = -1;
                snprintf(log->docex_status_name, sizeof log->docex_status_name, "%s",
                         name ? name : "");
                snprintf(log->docex_message, sizeof log->docex_message, "%s", text ? text : "");
            }
            log->n_docex_errors++;
        }
        break;
    default:
        break;
    }
    g_mutex_unlock(&log->lock);
    return GST_BUS_DROP;
}

static void run_log_clear(run_log *log)
{
    for (int i = 0; i < log->n_frames && i < MAX_FRAMES; i++)
        gst_structure_free(log->frames[i]);
    g_mutex_clear(&log->lock);
}

static bool run_log_done(run_log *log)
{
    bool done;
    g_mutex_lock(&log->lock);
    done = log->eos || log->error;
    g_mutex_unlock(&log->lock);
    return done;
}

/* One received frame: its caps and a copy of its buffer. */
typedef struct frame {
    GstCaps *caps;
    GstBuffer *buf;
} frame;

/* Makes appsink advertise GstVideoMeta, as videoconvert and pngenc do, so that
 * dxsrc pushes rows at the device's stride instead of repacking them. */
static GstPadProbeReturn offer_video_meta(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(q) == GST_QUERY_ALLOCATION)
        gst_query_add_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL);
    return GST_PAD_PROBE_OK;
}

/* Run `dxsrc <props> num-buffers=N ! appsink` to EOS or ERROR (30 s at most),
 * keeping up to MAX_FRAMES samples. */
static int run_pipeline(const char *props, int num_buffers, bool with_meta, run_log *log,
                        frame *frames)
{
    GError *gerr = NULL;
    gchar *desc = g_strdup_printf("dxsrc name=src %s num-buffers=%d ! appsink name=sink "
                                  "sync=false",
                                  props, num_buffers);
    GstElement *pipe = gst_parse_launch(desc, &gerr);
    GstElement *sink;
    GstBus *bus;
    gint64 deadline;
    int n = 0;

    memset(log, 0, sizeof *log);
    g_mutex_init(&log->lock);
    if (!pipe || gerr) {
        fprintf(stderr, "cannot build \"%s\": %s\n", desc, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        g_free(desc);
        if (pipe)
            gst_object_unref(pipe);
        return -1;
    }
    g_free(desc);
    bus = gst_element_get_bus(pipe);
    gst_bus_set_sync_handler(bus, on_bus, log, NULL);
    sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    if (with_meta) {
        GstPad *pad = gst_element_get_static_pad(sink, "sink");
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, offer_video_meta, NULL, NULL);
        gst_object_unref(pad);
    }
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 50 * GST_MSECOND);
        if (sample) {
            if (n < MAX_FRAMES) {
                frames[n].caps = gst_caps_ref(gst_sample_get_caps(sample));
                frames[n].buf = gst_buffer_ref(gst_sample_get_buffer(sample));
            }
            n++;
            gst_sample_unref(sample);
            continue;
        }
        if (run_log_done(log))
            break;
    }
    CHECK_MSG(run_log_done(log), "pipeline \"%s\" neither ended nor failed in 30 s", props);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return n;
}

static void frames_clear(frame *frames, int n)
{
    for (int i = 0; i < n && i < MAX_FRAMES; i++) {
        gst_caps_unref(frames[i].caps);
        gst_buffer_unref(frames[i].buf);
    }
}

typedef struct illum_info {
    char name[DX_ILLUM_NAME_MAX];
    dxp_frame_format fmt;
    uint8_t *pixels; /* a direct capture, fmt.stride * fmt.height bytes */
} illum_info;

static void check_illumination(const illum_info *il, bool with_meta)
{
    frame frames[MAX_FRAMES];
    run_log log;
    gchar *props = g_strdup_printf("device=sim:0 illumination=%s", il->name);
    int n = run_pipeline(props, 2, with_meta, &log, frames);
    size_t row = (size_t)il->fmt.width * dxp_pixel_size(il->fmt.format);

    printf("%-18s %ux%u %-9s stride %u, %u dpi, %s: %d frames\n", il->name, il->fmt.width,
           il->fmt.height, caps_format(il->fmt.format), il->fmt.stride, il->fmt.dpi,
           with_meta ? "video meta" : "default stride", n);
    CHECK_MSG(log.eos && !log.error, "%s: eos %d, error \"%s\"", il->name, log.eos,
              log.error_text);
    CHECK_MSG(n == 2, "%s: %d frames", il->name, n);
    for (int i = 0; i < n && i < MAX_FRAMES; i++) {
        GstVideoInfo vi;
        GstVideoFrame vf;
        const GstStructure *s = gst_caps_get_structure(frames[i].caps, 0);
        gint fn = 0, fd = 0;

        CHECK(gst_caps_is_fixed(frames[i].caps));
        CHECK_STR(gst_structure_get_string(s, "format"), caps_format(il->fmt.format));
        CHECK(gst_structure_get_fraction(s, "framerate", &fn, &fd) && fn == 0 && fd == 1);
        REQUIRE(gst_video_info_from_caps(&vi, frames[i].caps));
        CHECK((uint32_t)GST_VIDEO_INFO_WIDTH(&vi) == il->fmt.width);
        CHECK((uint32_t)GST_VIDEO_INFO_HEIGHT(&vi) == il->fmt.height);
        if (with_meta) {
            /* rows as the device gave them, described by the meta */
            GstVideoMeta *vm = gst_buffer_get_video_meta(frames[i].buf);
            CHECK_MSG(vm && vm->stride[0] == (gint)il->fmt.stride && vm->offset[0] == 0,
                      "%s: video meta stride %d", il->name, vm ? vm->stride[0] : -1);
            CHECK(gst_buffer_get_size(frames[i].buf) >= (gsize)il->fmt.stride * il->fmt.height);
        } else {
            /* plain appsink offers no GstVideoMeta: GStreamer's default stride */
            CHECK(gst_buffer_get_video_meta(frames[i].buf) == NULL);
            CHECK_MSG(gst_buffer_get_size(frames[i].buf) == GST_VIDEO_INFO_SIZE(&vi),
                      "%s: buffer %zu bytes, caps say %zu", il->name,
                      gst_buffer_get_size(frames[i].buf), (size_t)GST_VIDEO_INFO_SIZE(&vi));
        }
        CHECK(GST_BUFFER_OFFSET(frames[i].buf) == (guint64)i);
        CHECK(GST_BUFFER_PTS_IS_VALID(frames[i].buf));
        if (gst_video_frame_map(&vf, &vi, frames[i].buf, GST_MAP_READ)) {
            const uint8_t *p = GST_VIDEO_FRAME_PLANE_DATA(&vf, 0);
            size_t stride = (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0);
            uint32_t bad = UINT32_MAX;
            for (uint32_t y = 0; y < il->fmt.height && bad == UINT32_MAX; y++)
                if (memcmp(p + y * stride, il->pixels + (size_t)y * il->fmt.stride, row) != 0)
                    bad = y;
            CHECK_MSG(bad == UINT32_MAX, "%s frame %d: row %u differs from a direct capture",
                      il->name, i, bad);
            gst_video_frame_unmap(&vf);
        } else {
            CHECK_MSG(false, "%s: cannot map frame %d", il->name, i);
        }
    }
    CHECK_MSG(log.n_frames == 2, "%s: %d docex-frame messages", il->name, log.n_frames);
    for (int i = 0; i < log.n_frames && i < MAX_FRAMES; i++) {
        const GstStructure *s = log.frames[i];
        guint64 index = 99;
        gint64 ts = 0, exp = 0;
        guint w = 0, h = 0, dpi = 0;
        CHECK_STR(gst_structure_get_string(s, "illumination"), il->name);
        CHECK_STR(gst_structure_get_string(s, "format"), caps_format(il->fmt.format));
        CHECK(gst_structure_get_uint64(s, "index", &index) && index == (guint64)i);
        CHECK(gst_structure_get_int64(s, "timestamp-us", &ts) && ts > 0);
        CHECK(gst_structure_get_int64(s, "exposure-us", &exp) && exp >= -1);
        CHECK(gst_structure_get_uint(s, "width", &w) && w == il->fmt.width);
        CHECK(gst_structure_get_uint(s, "height", &h) && h == il->fmt.height);
        CHECK(gst_structure_get_uint(s, "dpi", &dpi) && dpi == il->fmt.dpi);
    }
    CHECK(log.n_docex_errors == 0);
    frames_clear(frames, n);
    run_log_clear(&log);
    g_free(props);
}

/* A pipeline that must fail with `status`: a docex-error first, then an ERROR
 * carrying the same status in its details; no frame. */
static void check_failure(const char *props, dx_status status)
{
    frame frames[MAX_FRAMES];
    run_log log;
    int n = run_pipeline(props, 1, false, &log, frames);

    printf("%-40s -> %s: %s\n", props, log.docex_status_name, log.docex_message);
    CHECK_MSG(n == 0, "%s: %d frames", props, n);
    CHECK_MSG(log.error, "%s: no ERROR on the bus", props);
    CHECK_MSG(log.n_docex_errors == 1, "%s: %d docex-error messages", props,
              log.n_docex_errors);
    CHECK_MSG(log.docex_status == (int)status, "%s: status %d (%s), expected %s", props,
              log.docex_status, log.docex_status_name, dx_status_name(status));
    CHECK_STR(log.docex_status_name, dx_status_name(status));
    CHECK(log.docex_message[0] != '\0' && strchr(log.docex_message, '\n') == NULL);
    CHECK_STR(log.error_text, log.docex_message);
    CHECK(log.error_has_status && log.error_details_status == (int)status);
    frames_clear(frames, n);
    run_log_clear(&log);
}

static GstPadProbeReturn switch_light(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstElement *src = GST_ELEMENT(gst_pad_get_parent(pad));
    g_object_set(src, "illumination", (const char *)data, NULL);
    gst_object_unref(src);
    return GST_PAD_PROBE_REMOVE;
}

/* The illumination changed while playing: the next frame comes under the new
 * light, with caps renegotiated. */
static void check_switch(const illum_info *a, const illum_info *b)
{
    frame frames[MAX_FRAMES];
    run_log log;
    GstElement *pipe, *src, *sink;
    GstBus *bus;
    GstPad *pad;
    gchar *desc = g_strdup_printf("dxsrc name=src illumination=%s num-buffers=2 ! appsink "
                                  "name=sink sync=false",
                                  a->name);
    gint64 deadline;
    int n = 0;

    memset(&log, 0, sizeof log);
    g_mutex_init(&log.lock);
    pipe = gst_parse_launch(desc, NULL);
    REQUIRE(pipe);
    bus = gst_element_get_bus(pipe);
    gst_bus_set_sync_handler(bus, on_bus, &log, NULL);
    src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    pad = gst_element_get_static_pad(src, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, switch_light, (gpointer)b->name, NULL);
    gst_object_unref(pad);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 50 * GST_MSECOND);
        if (sample) {
            if (n < MAX_FRAMES) {
                frames[n].caps = gst_caps_ref(gst_sample_get_caps(sample));
                frames[n].buf = gst_buffer_ref(gst_sample_get_buffer(sample));
            }
            n++;
            gst_sample_unref(sample);
        } else if (run_log_done(&log)) {
            break;
        }
    }
    gst_element_set_state(pipe, GST_STATE_NULL);
    printf("switch %s -> %s while playing: %d frames\n", a->name, b->name, n);
    CHECK(log.eos && !log.error);
    CHECK(n == 2 && log.n_frames == 2);
    if (n == 2 && log.n_frames == 2) {
        const illum_info *want[2] = {a, b};
        for (int i = 0; i < 2; i++) {
            GstVideoInfo vi;
            CHECK_STR(gst_structure_get_string(log.frames[i], "illumination"), want[i]->name);
            REQUIRE(gst_video_info_from_caps(&vi, frames[i].caps));
            CHECK_STR(gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&vi)),
                      caps_format(want[i]->fmt.format));
            CHECK(gst_buffer_get_size(frames[i].buf) == GST_VIDEO_INFO_SIZE(&vi));
        }
    }
    gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
    gst_object_unref(bus);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    frames_clear(frames, n);
    run_log_clear(&log);
    g_free(desc);
}

/* A 10 s capture, the pipeline shut down after 200 ms: unlock() cancels it. */
static void check_cancel(void)
{
    run_log log;
    GstElement *pipe = gst_parse_launch("dxsrc device=sim:0 illumination=white "
                                        "settings=\"delay_ms=10000\" num-buffers=1 ! fakesink",
                                        NULL);
    GstBus *bus;
    gint64 t0, ms;

    REQUIRE(pipe);
    memset(&log, 0, sizeof log);
    g_mutex_init(&log.lock);
    bus = gst_element_get_bus(pipe);
    gst_bus_set_sync_handler(bus, on_bus, &log, NULL);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    g_usleep(200 * 1000);
    t0 = g_get_monotonic_time();
    CHECK(gst_element_set_state(pipe, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
    ms = (g_get_monotonic_time() - t0) / 1000;
    printf("delay_ms=10000 pipeline stopped after %" G_GINT64_FORMAT " ms\n", ms);
    /* Loose: well under the 10 s the capture would take without the cancel. */
    CHECK_MSG(ms < 8000, "stopping took %" G_GINT64_FORMAT " ms", ms);
    CHECK(log.n_frames == 0);
    CHECK_MSG(log.n_docex_errors == 0 && !log.error, "cancel reported an error: %s",
              log.docex_message);
    gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
    gst_object_unref(bus);
    gst_object_unref(pipe);
    run_log_clear(&log);
}

int main(int argc, char **argv)
{
    bool static_mode = argc > 1 && strcmp(argv[1], "--static") == 0;
    GstElementFactory *factory;
    const gchar *plugin_name;
    dx_error err = {0};
    dx_host *host;
    dx_device *dev = NULL;
    illum_info *ils;
    size_t n_ils;

    CHECK(!dx_gst_register(NULL)); /* GStreamer not initialised yet */
    gst_init(&argc, &argv);
    REQUIRE(dx_gst_register(NULL));
    REQUIRE(dx_gst_register(NULL)); /* idempotent */
    factory = gst_element_factory_find(DX_GST_ELEMENT);
    REQUIRE(factory);
    plugin_name = gst_plugin_feature_get_plugin_name(GST_PLUGIN_FEATURE(factory));
    printf("dxsrc from %s\n", plugin_name ? plugin_name : "(static registration)");
    if (static_mode)
        CHECK(plugin_name == NULL);
    else
        CHECK_STR(plugin_name, "docex");
    CHECK_STR(gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS),
              "Source/Video");
    gst_object_unref(factory);

    host = dx_host_default(&err);
    REQUIRE(host);
    if (dx_device_open(host, "sim:0", &dev, &err) != DX_OK) {
        fprintf(stderr, "cannot open sim:0: %s\n", err.message);
        return 1;
    }
    n_ils = dx_device_illumination_count(dev);
    REQUIRE(n_ils > 0);
    ils = calloc(n_ils, sizeof *ils);
    REQUIRE(ils);
    for (size_t i = 0; i < n_ils; i++) {
        const dx_illumination *il = dx_device_illumination_at(dev, i);
        dxp_frame_meta meta;
        size_t size;
        REQUIRE(il);
        snprintf(ils[i].name, sizeof ils[i].name, "%s", il->name);
        REQUIRE(dx_device_frame_format(dev, il->name, &ils[i].fmt, &err) == DX_OK);
        size = (size_t)ils[i].fmt.stride * ils[i].fmt.height;
        ils[i].pixels = malloc(size);
        REQUIRE(ils[i].pixels);
        REQUIRE(dx_device_capture(dev, il->name, ils[i].pixels, size, &meta, &err) == DX_OK);
    }
    dx_device_free(dev); /* dxsrc opens its own */

    for (size_t i = 0; i < n_ils; i++) {
        check_illumination(&ils[i], false);
        check_illumination(&ils[i], true);
    }
    if (!static_mode) {
        check_failure("device=sim:0 illumination=nosuch", DX_ERR_INVALID_ARG);
        check_failure("device=nosuch:0 illumination=white", DX_ERR_NOT_FOUND);
        check_failure("device=sim:0 illumination=white settings=\"no_document=true\"",
                      DX_ERR_NO_DOCUMENT);
        check_failure("device=sim:0 illumination=white settings=\"cover_open=true\"",
                      DX_ERR_COVER_OPEN);
        check_cancel();
        for (size_t i = 1; i < n_ils; i++)
            if (ils[i].fmt.format != ils[0].fmt.format) {
                check_switch(&ils[0], &ils[i]);
                break;
            }
    }

    for (size_t i = 0; i < n_ils; i++)
        free(ils[i].pixels);
    free(ils);
    return dxtest_done();
}
