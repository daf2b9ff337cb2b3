/* bench-dxsrc — throughput of dxsrc and cost of PNG encoding at 600 dpi.
 *
 *   bench-dxsrc [--frames N] [--png-frames M] [--mkscene PATH] [--scene DIR]
 *
 * 1. Makes a 600 dpi passport-page scene (125 x 88 mm, about 2953 x 2079) with
 *    docex-mkscene in a temporary directory (or uses --scene DIR), and points
 *    the sim plugin at it (host setting sim.scene).
 * 2. Streams N frames from `dxsrc ! appsink` for white (RGB) and ir870 (16-bit
 *    grey): once with a plain appsink (dxsrc repacks rows to GStreamer's
 *    default stride when the device's differs) and once with an appsink that
 *    accepts GstVideoMeta (as videoconvert and pngenc do: no repacking).  The
 *    baseline memcpy()s the same frame N times; the ratio dxsrc/baseline says
 *    how close dxsrc comes to the cost of one copy per frame.
 * 3. Encodes the same frames with pngenc (the capture path's encoder, through
 *    videoconvert as in dx_capture_set_write) at zlib levels 1, 3, 6 (M frames
 *    each) and 9 (one frame), for a clean frame and one with sensor noise
 *    (sim option noise=2, closer to a real scanner): ms per frame and bytes.
 *
 * Prints a table, then one line "BENCH-JSON {...}" for machines. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <png.h>

#include "docex/docex.h"

#define N_ILLUMS 2
static const char *const illums[N_ILLUMS] = {"white", "ir870"};

typedef struct stream_result {
    int frames;
    double fps, mbps;
} stream_result;

typedef struct png_result {
    int level, frames;
    double ms;
    size_t bytes;
} png_result;

typedef struct illum_result {
    const char *name;
    dxp_frame_format fmt;
    stream_result plain, meta;
    double base_fps, base_mbps;
    png_result png[2][4]; /* [clean, noisy][level 1, 3, 6, 9] */
} illum_result;

static const int levels[4] = {1, 3, 6, 9};

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static const char *caps_format(dxp_pixel_format f)
{
    return f == DXP_PIXEL_GRAY8 ? "GRAY8" : f == DXP_PIXEL_GRAY16 ? "GRAY16_LE" : "RGB";
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bench-dxsrc: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- scene ------------------------------------------------------------------ */

static bool run_mkscene(const char *mkscene, const char *dir)
{
    pid_t pid;
    int status;

    if (access(mkscene, X_OK) != 0)
        return false;
    pid = fork();
    if (pid == 0) {
        execl(mkscene, mkscene, "--out", dir, "--dpi", "600", "--width-mm", "125", "--height-mm",
              "88", (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Fallback when docex-mkscene is not built: white (RGB) and ir870 (16-bit
 * grey) with some structure and noise, so compression is not trivial. */
static bool write_png(const char *path, uint32_t w, uint32_t h, bool rgb)
{
    FILE *fp = fopen(path, "wb");
    png_structp png;
    png_infop info;
    uint8_t *row;
    uint64_t rng = 1;

    if (!fp)
        return false;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    info = png ? png_create_info_struct(png) : NULL;
    row = malloc((size_t)w * 6);
    if (!png || !info || !row || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(fp);
        return false;
    }
    png_init_io(png, fp);
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, w, h, rgb ? 8 : 16, rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            unsigned v = 200 + (unsigned)((x / 40 + y / 40) % 2) * 30 + (unsigned)(rng >> 62);
            if (rgb) {
                row[3 * x] = (uint8_t)v;
                row[3 * x + 1] = (uint8_t)(v - 10);
                row[3 * x + 2] = (uint8_t)(v - 20);
            } else {
                unsigned v16 = v * 257;
                row[2 * x] = (uint8_t)(v16 >> 8);
                row[2 * x + 1] = (uint8_t)v16;
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return fclose(fp) == 0;
}

static bool write_fallback_scene(const char *dir)
{
    char path[4096];
    FILE *fp;
    uint32_t w = 2953, h = 2079;

    snprintf(path, sizeof path, "%s/white.png", dir);
    if (!write_png(path, w, h, true))
        return false;
    snprintf(path, sizeof path, "%s/ir870.png", dir);
    if (!write_png(path, w, h, false))
        return false;
    snprintf(path, sizeof path, "%s/scene.json", dir);
    fp = fopen(path, "w");
    if (!fp)
        return false;
    fprintf(fp, "{\"format\": \"docex.scene/1\", \"name\": \"bench fallback\", \"dpi\": 600, "
                "\"page_mm\": {\"width\": 125, \"height\": 88}, \"background\": [40, 40, 40], "
                "\"exposure_us\": {\"white\": 8000, \"ir870\": 20000}}\n");
    return fclose(fp) == 0;
}

static void remove_tree(const char *dir)
{
    char path[4096];
    for (int i = 0; i < DX_ILLUM_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s.png", dir, dx_illumination_at((size_t)i)->name);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/scene.json", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- streaming -------------------------------------------------------------- */

static GstPadProbeReturn offer_video_meta(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(q) == GST_QUERY_ALLOCATION)
        gst_query_add_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL);
    return GST_PAD_PROBE_OK;
}

static bool bus_failed(GstElement *pipe)
{
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    bool failed = msg != NULL;
    if (msg) {
        GError *gerr = NULL;
        gst_message_parse_error(msg, &gerr, NULL);
        fprintf(stderr, "bench-dxsrc: pipeline error: %s\n", gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        gst_message_unref(msg);
    }
    gst_object_unref(bus);
    return failed;
}

/* Steady state: from the first frame received to the last (the first one
 * includes opening the device and decoding the scene's PNG). */
static stream_result stream(const char *illum, int frames, bool meta)
{
    stream_result r = {0};
    gchar *desc = g_strdup_printf("dxsrc device=sim:0 illumination=%s num-buffers=%d ! appsink "
                                  "name=sink sync=false max-buffers=0",
                                  illum, frames + 1);
    GstElement *pipe = gst_parse_launch(desc, NULL), *sink;
    double t_first = 0, t_last = 0;
    size_t bytes = 0;
    int n = 0;

    if (!pipe)
        die("cannot build %s", desc);
    sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    if (meta) {
        GstPad *pad = gst_element_get_static_pad(sink, "sink");
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, offer_video_meta, NULL, NULL);
        gst_object_unref(pad);
    }
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    for (;;) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 30 * GST_SECOND);
        if (!s)
            break;
        if (n == 0) {
            t_first = now_s();
        } else {
            bytes += gst_buffer_get_size(gst_sample_get_buffer(s));
            t_last = now_s();
        }
        n++;
        gst_sample_unref(s);
    }
    if (bus_failed(pipe) || n != frames + 1)
        die("streaming %s failed", illum);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    g_free(desc);
    r.frames = frames;
    r.fps = frames / (t_last - t_first);
    r.mbps = (double)bytes / 1e6 / (t_last - t_first);
    return r;
}

static double baseline(const uint8_t *frame, size_t size, int frames, double *mbps)
{
    uint8_t *dst = malloc(size);
    volatile uint8_t sink = 0;
    double t0, dt;

    if (!dst)
        die("out of memory (%s)", "baseline");
    memcpy(dst, frame, size); /* fault the pages in, as dxsrc's pool has them */
    t0 = now_s();
    for (int i = 0; i < frames; i++) {
        memcpy(dst, frame, size);
        sink ^= dst[(size_t)i % size];
    }
    dt = now_s() - t0;
    free(dst);
    (void)sink;
    *mbps = (double)size * frames / 1e6 / dt;
    return frames / dt;
}

/* ---- PNG ---------------------------------------------------------------------- */

static png_result encode(const dxp_frame_format *fmt, const uint8_t *frame, int level,
                         int frames)
{
    png_result r = {level, frames, 0, 0};
    gchar *desc = g_strdup_printf("appsrc name=src format=time ! videoconvert ! pngenc "
                                  "compression-level=%d snapshot=false ! appsink name=sink "
                                  "sync=false",
                                  level);
    GstElement *pipe = gst_parse_launch(desc, NULL), *src, *sink;
    GstCaps *caps;
    GstVideoInfo vi;
    double total = 0;

    if (!pipe)
        die("cannot build %s", desc);
    src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, caps_format(fmt->format),
                               "width", G_TYPE_INT, (int)fmt->width, "height", G_TYPE_INT,
                               (int)fmt->height, "framerate", GST_TYPE_FRACTION, 0, 1, NULL);
    gst_video_info_from_caps(&vi, caps);
    g_object_set(src, "caps", caps, NULL);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    for (int i = 0; i < frames; i++) {
        gsize offset[GST_VIDEO_MAX_PLANES] = {0};
        gint stride[GST_VIDEO_MAX_PLANES] = {(gint)fmt->stride};
        GstBuffer *buf = gst_buffer_new_memdup(frame, (gsize)fmt->stride * fmt->height);
        GstSample *s;
        double t0;

        gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
                                       GST_VIDEO_INFO_FORMAT(&vi), fmt->width, fmt->height, 1,
                                       offset, stride);
        GST_BUFFER_PTS(buf) = (GstClockTime)i * GST_SECOND;
        t0 = now_s();
        if (gst_app_src_push_buffer(GST_APP_SRC(src), buf) != GST_FLOW_OK)
            die("pushing to pngenc failed (%s)", caps_format(fmt->format));
        s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 60 * GST_SECOND);
        if (!s)
            die("no PNG from pngenc (%s)", caps_format(fmt->format));
        total += now_s() - t0;
        r.bytes = gst_buffer_get_size(gst_sample_get_buffer(s));
        gst_sample_unref(s);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_caps_unref(caps);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    g_free(desc);
    r.ms = total * 1000.0 / frames;
    return r;
}

/* ---- main --------------------------------------------------------------------- */

static uint8_t *capture_frame(dx_host *host, const char *illum, const char *settings,
                              dxp_frame_format *fmt)
{
    dx_error err = {0};
    dx_device *dev = NULL;
    dxp_frame_meta meta;
    uint8_t *buf;

    if (dx_device_open(host, "sim:0", &dev, &err) != DX_OK)
        die("cannot open sim:0: %s", err.message);
    if (settings && dx_device_set_options(dev, settings, &err) != DX_OK)
        die("sim options: %s", err.message);
    if (dx_device_frame_format(dev, illum, fmt, &err) != DX_OK)
        die("frame format: %s", err.message);
    buf = malloc((size_t)fmt->stride * fmt->height);
    if (!buf)
        die("out of memory (%s)", illum);
    if (dx_device_capture(dev, illum, buf, (size_t)fmt->stride * fmt->height, &meta, &err) !=
        DX_OK)
        die("capture: %s", err.message);
    dx_device_free(dev);
    return buf;
}

int main(int argc, char **argv)
{
    int frames = 200, png_frames = 2;
    const char *mkscene = NULL, *scene = NULL;
    char tmpl[] = "/tmp/docex-bench.XXXXXX";
    char *dir = NULL;
    bool made_scene = false, fallback = false;
    dx_error err = {0};
    dx_host *host;
    illum_result res[N_ILLUMS];
    double t_start = now_s();

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (strcmp(argv[i], "--png-frames") == 0 && i + 1 < argc)
            png_frames = atoi(argv[++i]);
        else if (strcmp(argv[i], "--mkscene") == 0 && i + 1 < argc)
            mkscene = argv[++i];
        else if (strcmp(argv[i], "--scene") == 0 && i + 1 < argc)
            scene = argv[++i];
        else {
            fprintf(stderr, "usage: bench-dxsrc [--frames N] [--png-frames M] "
                            "[--mkscene PATH] [--scene DIR]\n");
            return 2;
        }
    }
    if (frames < 2 || png_frames < 1)
        die("%s", "--frames must be >= 2 and --png-frames >= 1");

    gst_init(&argc, &argv);
    if (!dx_gst_register(NULL))
        die("%s", "cannot register dxsrc");

    if (scene) {
        dir = g_strdup(scene);
    } else {
        double t0 = now_s();
        if (!mkdtemp(tmpl))
            die("mkdtemp: %s", strerror(errno));
        dir = g_strdup(tmpl);
        made_scene = true;
        if (!mkscene || !run_mkscene(mkscene, dir)) {
            fprintf(stderr, "bench-dxsrc: docex-mkscene unavailable (%s): writing white and "
                            "ir870 myself\n",
                    mkscene ? mkscene : "no --mkscene");
            if (!write_fallback_scene(dir))
                die("cannot write a scene in %s", dir);
            fallback = true;
        }
        printf("scene: %s (%s, %.1f s)\n", dir, fallback ? "fallback" : "docex-mkscene",
               now_s() - t0);
    }
    host = dx_host_default(&err);
    if (!host)
        die("no docex host: %s", err.message);
    if (dx_host_set(host, "sim.scene", dir) != DX_OK)
        die("%s", "cannot set sim.scene");

    for (int k = 0; k < N_ILLUMS; k++) {
        illum_result *r = &res[k];
        uint8_t *clean, *noisy;
        dxp_frame_format nfmt;

        memset(r, 0, sizeof *r);
        r->name = illums[k];
        clean = capture_frame(host, r->name, NULL, &r->fmt);
        fprintf(stderr, "bench-dxsrc: %s %ux%u %s: streaming %d frames...\n", r->name,
                r->fmt.width, r->fmt.height, caps_format(r->fmt.format), frames);
        r->plain = stream(r->name, frames, false);
        r->meta = stream(r->name, frames, true);
        r->base_fps = baseline(clean, (size_t)r->fmt.stride * r->fmt.height, frames,
                               &r->base_mbps);
        noisy = capture_frame(host, r->name, "noise=2", &nfmt);
        for (int v = 0; v < 2; v++)
            for (int l = 0; l < 4; l++) {
                fprintf(stderr, "bench-dxsrc: %s %s: pngenc level %d...\n", r->name,
                        v ? "noisy" : "clean", levels[l]);
                r->png[v][l] = encode(&r->fmt, v ? noisy : clean, levels[l],
                                      levels[l] == 9 ? 1 : png_frames);
            }
        free(clean);
        free(noisy);
    }

    /* ---- report ---- */
    printf("\ndxsrc streaming, %d frames, steady state (dxsrc ! appsink sync=false)\n", frames);
    printf("%-6s %-9s %11s | %-22s | %-22s | %-22s | %s\n", "illum", "format", "size",
           "plain appsink fps MB/s", "video-meta fps MB/s", "memcpy baseline fps MB/s",
           "ratio plain/meta");
    for (int k = 0; k < N_ILLUMS; k++) {
        const illum_result *r = &res[k];
        char size[32];
        snprintf(size, sizeof size, "%ux%u", r->fmt.width, r->fmt.height);
        printf("%-6s %-9s %11s | %8.1f %13.0f | %8.1f %13.0f | %8.1f %13.0f | %.2f / %.2f\n",
               r->name, caps_format(r->fmt.format), size, r->plain.fps, r->plain.mbps,
               r->meta.fps, r->meta.mbps, r->base_fps, r->base_mbps, r->plain.fps / r->base_fps,
               r->meta.fps / r->base_fps);
    }
    printf("\npngenc through videoconvert (the capture path's encoder), ms per frame and bytes\n");
    printf("%-6s %-6s", "illum", "frame");
    for (int l = 0; l < 4; l++)
        printf(" | level %d %9s", levels[l], "");
    printf("\n");
    for (int k = 0; k < N_ILLUMS; k++)
        for (int v = 0; v < 2; v++) {
            printf("%-6s %-6s", res[k].name, v ? "noisy" : "clean");
            for (int l = 0; l < 4; l++)
                printf(" | %6.0f ms %8zu", res[k].png[v][l].ms, res[k].png[v][l].bytes);
            printf("\n");
        }
    printf("\nThe capture path (dx_capture_set_write, docex capture) uses zlib level %d "
           "(DX_CAPTURE_PNG_DEFAULT_LEVEL; --png-level overrides it; pngenc's own default "
           "is 6).\n", DX_CAPTURE_PNG_DEFAULT_LEVEL);
    printf("total %.1f s\n", now_s() - t_start);

    printf("BENCH-JSON {\"bench\":\"dxsrc\",\"frames\":%d,\"png_frames\":%d,\"scene\":\"%s\","
           "\"illuminations\":[",
           frames, png_frames, fallback ? "fallback" : "docex-mkscene");
    for (int k = 0; k < N_ILLUMS; k++) {
        const illum_result *r = &res[k];
        printf("%s{\"name\":\"%s\",\"format\":\"%s\",\"width\":%u,\"height\":%u,"
               "\"device_stride\":%u,\"plain_fps\":%.2f,\"plain_mbps\":%.1f,"
               "\"meta_fps\":%.2f,\"meta_mbps\":%.1f,\"baseline_fps\":%.2f,"
               "\"baseline_mbps\":%.1f,\"ratio_plain\":%.3f,\"ratio_meta\":%.3f,\"png\":[",
               k ? "," : "", r->name, caps_format(r->fmt.format), r->fmt.width, r->fmt.height,
               r->fmt.stride, r->plain.fps, r->plain.mbps, r->meta.fps, r->meta.mbps,
               r->base_fps, r->base_mbps, r->plain.fps / r->base_fps,
               r->meta.fps / r->base_fps);
        for (int v = 0; v < 2; v++)
            for (int l = 0; l < 4; l++)
                printf("%s{\"frame\":\"%s\",\"level\":%d,\"frames\":%d,\"ms\":%.1f,"
                       "\"bytes\":%zu}",
                       v || l ? "," : "", v ? "noisy" : "clean", r->png[v][l].level,
                       r->png[v][l].frames, r->png[v][l].ms, r->png[v][l].bytes);
        printf("]}");
    }
    printf("],\"total_s\":%.1f}\n", now_s() - t_start);

    if (made_scene)
        remove_tree(dir);
    g_free(dir);
    return 0;
}
