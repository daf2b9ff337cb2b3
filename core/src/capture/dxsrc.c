/* docex — dxsrc: a GStreamer source for docex capture devices.  See dxsrc.h. */
#include "capture/dxsrc.h"

#include <string.h>

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC(dx_src_debug);
#define GST_CAT_DEFAULT dx_src_debug

#define DEFAULT_DEVICE "sim:0"
#define DEFAULT_ILLUMINATION "white"

#define GST_TYPE_DX_SRC (gst_dx_src_get_type())
G_DECLARE_FINAL_TYPE(GstDxSrc, gst_dx_src, GST, DX_SRC, GstPushSrc)

struct _GstDxSrc {
    GstPushSrc parent;

    /* properties, under the object lock */
    gchar *device_id;
    gchar *illumination;
    gchar *settings;
    dx_device *handle;       /* "device-handle": the caller's open device, or NULL */

    /* the open device (start..stop); dev is also read by unlock(), so it is
     * set and cleared under cancel_lock */
    dx_device *dev;
    gboolean dev_owned;      /* dev was opened by start() (not the caller's handle) */
    GMutex cancel_lock;
    gboolean flushing;       /* unlock() was called; cleared by unlock_stop() */

    /* the format caps are made from, under the object lock (get_caps reads it
     * from any thread) */
    gboolean have_fmt;
    dxp_frame_format fmt;

    /* streaming thread only */
    GstVideoInfo vinfo;      /* negotiated caps: GStreamer's default strides */
    gboolean use_meta;       /* downstream handles GstVideoMeta (device stride) */
    gsize alloc_size;        /* bytes of each pool buffer */
    guint64 index;
    gint64 t0_us;            /* monotonic time of frame 0 */
};

enum { PROP_0, PROP_DEVICE, PROP_ILLUMINATION, PROP_SETTINGS, PROP_DEVICE_HANDLE };

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { GRAY8, GRAY16_LE, RGB }, "
                    "width = (int) [ 1, max ], height = (int) [ 1, max ], "
                    "framerate = (fraction) 0/1, pixel-aspect-ratio = (fraction) 1/1"));

G_DEFINE_TYPE_WITH_CODE(GstDxSrc, gst_dx_src, GST_TYPE_PUSH_SRC,
                        GST_DEBUG_CATEGORY_INIT(dx_src_debug, "dxsrc", 0,
                                                "docex capture device source"))

const char *dx_gst_format_name(dxp_pixel_format format)
{
    switch (format) {
    case DXP_PIXEL_GRAY8: return "GRAY8";
    case DXP_PIXEL_GRAY16: return "GRAY16_LE";
    case DXP_PIXEL_RGB24: return "RGB";
    default: return NULL;
    }
}

/* ---- errors ---------------------------------------------------------------- */

/* Post DX_GST_MSG_ERROR, then a GST_MESSAGE_ERROR with the same text.  `what`
 * names the step that failed ("capture", "opening the device"); `per_illum`
 * says whether the illumination matters to it. */
static void dx_src_fail(GstDxSrc *self, GstResourceError code, const char *what,
                        gboolean per_illum, const char *device, const char *illum,
                        dx_status status, const dx_error *err)
{
    const char *why = err && err->message[0] ? err->message : dx_status_str(status);
    gchar *msg;
    GstStructure *s;

    if (!device)
        device = "?";
    if (!illum)
        illum = "?";
    /* libdocex's messages usually name the device (and the illumination)
     * already; add what is missing, once. */
    if (strstr(why, device) && (!per_illum || strstr(why, illum)))
        msg = g_strdup(why);
    else if (per_illum)
        msg = g_strdup_printf("%s failed (device %s, illumination %s): %s", what, device, illum,
                              why);
    else
        msg = g_strdup_printf("%s failed (device %s): %s", what, device, why);

    for (gchar *p = msg; *p; p++) /* one line, whatever the plugin wrote */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    GST_WARNING_OBJECT(self, "%s", msg);
    s = gst_structure_new(DX_GST_MSG_ERROR, "status", G_TYPE_INT, (gint)status, "status-name",
                          G_TYPE_STRING, dx_status_name(status), "message", G_TYPE_STRING, msg,
                          "device", G_TYPE_STRING, device, "illumination", G_TYPE_STRING, illum,
                          NULL);
    gst_element_post_message(GST_ELEMENT(self),
                             gst_message_new_element(GST_OBJECT(self), gst_structure_copy(s)));
    /* takes msg, the debug string and s */
    gst_element_message_full_with_details(
        GST_ELEMENT(self), GST_MESSAGE_ERROR, GST_RESOURCE_ERROR, code, msg,
        g_strdup_printf("docex status %s (%d)", dx_status_name(status), (int)status), __FILE__,
        GST_FUNCTION, __LINE__, s);
}

/* ---- caps -------------------------------------------------------------------- */

static GstCaps *dx_src_caps_from_format(const dxp_frame_format *fmt)
{
    const char *name = dx_gst_format_name(fmt->format);
    if (!name || fmt->width == 0 || fmt->height == 0 || fmt->width > G_MAXINT ||
        fmt->height > G_MAXINT)
        return NULL;
    return gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, name, "width", G_TYPE_INT,
                               (gint)fmt->width, "height", G_TYPE_INT, (gint)fmt->height,
                               "framerate", GST_TYPE_FRACTION, 0, 1, "pixel-aspect-ratio",
                               GST_TYPE_FRACTION, 1, 1, NULL);
}

static GstCaps *dx_src_get_caps(GstBaseSrc *bsrc, GstCaps *filter)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);
    GstCaps *caps = NULL;

    GST_OBJECT_LOCK(self);
    if (self->have_fmt)
        caps = dx_src_caps_from_format(&self->fmt);
    GST_OBJECT_UNLOCK(self);
    if (!caps)
        caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(bsrc));
    if (filter) {
        GstCaps *tmp = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = tmp;
    }
    return caps;
}

static GstCaps *dx_src_fixate(GstBaseSrc *bsrc, GstCaps *caps)
{
    GstStructure *s;

    caps = gst_caps_make_writable(caps);
    s = gst_caps_get_structure(caps, 0);
    gst_structure_fixate_field_nearest_fraction(s, "framerate", 0, 1);
    gst_structure_fixate_field_nearest_fraction(s, "pixel-aspect-ratio", 1, 1);
    return GST_BASE_SRC_CLASS(gst_dx_src_parent_class)->fixate(bsrc, caps);
}

/* The caps are exactly those of the device's frame format: offer them and
 * fail clearly when downstream does not accept them. */
static gboolean dx_src_negotiate(GstBaseSrc *bsrc)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);
    GstCaps *caps = NULL, *peer;
    gboolean ok;

    GST_OBJECT_LOCK(self);
    if (self->have_fmt)
        caps = dx_src_caps_from_format(&self->fmt);
    GST_OBJECT_UNLOCK(self);
    if (!caps) /* not started: nothing to offer yet */
        return GST_BASE_SRC_CLASS(gst_dx_src_parent_class)->negotiate(bsrc);

    peer = gst_pad_peer_query_caps(GST_BASE_SRC_PAD(bsrc), caps);
    if (!peer || gst_caps_is_empty(peer)) {
        gchar *str = gst_caps_to_string(caps);
        GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("downstream does not accept %s", str),
                          ("peer caps: %" GST_PTR_FORMAT, peer));
        g_free(str);
        if (peer)
            gst_caps_unref(peer);
        gst_caps_unref(caps);
        return FALSE;
    }
    gst_caps_unref(peer);
    GST_DEBUG_OBJECT(self, "caps %" GST_PTR_FORMAT, caps);
    ok = gst_base_src_set_caps(bsrc, caps);
    gst_caps_unref(caps);
    return ok;
}

static gboolean dx_src_set_caps(GstBaseSrc *bsrc, GstCaps *caps)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);
    if (!gst_video_info_from_caps(&self->vinfo, caps)) {
        GST_ERROR_OBJECT(self, "bad caps %" GST_PTR_FORMAT, caps);
        return FALSE;
    }
    return TRUE;
}

/* Buffers come from our own pool, sized for the device's stride or
 * GStreamer's default stride, whichever is larger, so that rows can be
 * repacked in place when downstream cannot read GstVideoMeta. */
static gboolean dx_src_decide_allocation(GstBaseSrc *bsrc, GstQuery *query)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);
    GstBufferPool *pool;
    GstStructure *config;
    GstAllocator *allocator = NULL;
    GstAllocationParams params;
    GstCaps *caps = NULL;
    guint min = 0, max = 0, dev_stride, gst_stride, height;

    gst_query_parse_allocation(query, &caps, NULL);
    self->use_meta = gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    GST_OBJECT_LOCK(self);
    dev_stride = self->fmt.stride;
    GST_OBJECT_UNLOCK(self);
    gst_stride = (guint)GST_VIDEO_INFO_PLANE_STRIDE(&self->vinfo, 0);
    height = (guint)GST_VIDEO_INFO_HEIGHT(&self->vinfo);
    self->alloc_size = (gsize)MAX(dev_stride, gst_stride) * height;

    gst_allocation_params_init(&params);
    if (gst_query_get_n_allocation_params(query) > 0)
        gst_query_parse_nth_allocation_param(query, 0, &allocator, &params);
    if (gst_query_get_n_allocation_pools(query) > 0)
        gst_query_parse_nth_allocation_pool(query, 0, NULL, NULL, &min, &max);
    if (max != 0 && max < 2)
        max = 2;

    pool = gst_buffer_pool_new();
    config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, (guint)self->alloc_size, min, max);
    gst_buffer_pool_config_set_allocator(config, allocator, &params);
    if (!gst_buffer_pool_set_config(pool, config)) {
        GST_ERROR_OBJECT(self, "cannot configure a buffer pool of %" G_GSIZE_FORMAT " bytes",
                         self->alloc_size);
        gst_object_unref(pool);
        if (allocator)
            gst_object_unref(allocator);
        return FALSE;
    }
    if (gst_query_get_n_allocation_pools(query) > 0)
        gst_query_set_nth_allocation_pool(query, 0, pool, (guint)self->alloc_size, min, max);
    else
        gst_query_add_allocation_pool(query, pool, (guint)self->alloc_size, min, max);
    gst_object_unref(pool);
    if (allocator)
        gst_object_unref(allocator);
    GST_DEBUG_OBJECT(self, "device stride %u, default stride %u, video meta %s", dev_stride,
                     gst_stride, self->use_meta ? "yes" : "no");
    return TRUE;
}

/* ---- start / stop / cancel ----------------------------------------------- */

static gboolean dx_src_start(GstBaseSrc *bsrc)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);
    dx_error err = {0};
    dx_host *host;
    dx_device *dev = NULL;
    dxp_frame_format fmt;
    dx_status st;
    gchar *device_id, *illum, *settings;
    gboolean ok = FALSE, owned = TRUE;

    GST_OBJECT_LOCK(self);
    dev = self->handle;
    if (dev) {
        owned = FALSE;
        g_free(self->device_id); /* messages name the device actually used */
        self->device_id = g_strdup(dx_device_id(dev));
    }
    device_id = g_strdup(self->device_id);
    illum = g_strdup(self->illumination);
    settings = g_strdup(self->settings);
    self->have_fmt = FALSE;
    GST_OBJECT_UNLOCK(self);

    if (owned) {
        host = dx_host_default(&err);
        if (!host) {
            dx_src_fail(self, GST_RESOURCE_ERROR_FAILED, "starting the docex host", FALSE,
                        device_id, illum, err.status != DX_OK ? err.status : DX_ERR_INTERNAL,
                        &err);
            goto done;
        }
        st = dx_device_open(host, device_id, &dev, &err);
    } else {
        st = DX_OK;
    }
    if (st != DX_OK) {
        dx_src_fail(self,
                    st == DX_ERR_NOT_FOUND ? GST_RESOURCE_ERROR_NOT_FOUND
                                           : GST_RESOURCE_ERROR_OPEN_READ,
                    "opening the device", FALSE, device_id, illum, st, &err);
        goto done;
    }
    if (!dx_device_can_capture(dev)) {
        st = dx_error_set(&err, DX_ERR_UNSUPPORTED, "%s is neither a scanner nor a camera",
                          device_id);
        dx_src_fail(self, GST_RESOURCE_ERROR_OPEN_READ, "opening the device", FALSE, device_id,
                    illum, st, &err);
        goto done;
    }
    if (settings && settings[0]) {
        st = dx_device_set_options(dev, settings, &err);
        if (st != DX_OK) {
            gchar *what = g_strdup_printf("setting options \"%s\"", settings);
            dx_src_fail(self, GST_RESOURCE_ERROR_SETTINGS, what, FALSE, device_id, illum, st,
                        &err);
            g_free(what);
            goto done;
        }
    }
    st = dx_device_frame_format(dev, illum, &fmt, &err);
    if (st == DX_OK && (!dx_gst_format_name(fmt.format) || fmt.width == 0 || fmt.height == 0 ||
                        fmt.stride < fmt.width * dxp_pixel_size(fmt.format)))
        st = dx_error_set(&err, DX_ERR_DATA,
                          "the device gave an unusable frame format (format %d, %ux%u, "
                          "stride %u)",
                          (int)fmt.format, fmt.width, fmt.height, fmt.stride);
    if (st != DX_OK) {
        dx_src_fail(self, GST_RESOURCE_ERROR_SETTINGS, "getting the frame format", TRUE, device_id,
                    illum, st, &err);
        goto done;
    }

    GST_OBJECT_LOCK(self);
    self->fmt = fmt;
    self->have_fmt = TRUE;
    GST_OBJECT_UNLOCK(self);
    g_mutex_lock(&self->cancel_lock);
    self->dev = dev;
    self->dev_owned = owned;
    dev = NULL;
    g_mutex_unlock(&self->cancel_lock);
    self->index = 0;
    self->t0_us = -1;
    GST_INFO_OBJECT(self, "opened %s: %s %ux%u stride %u, %u dpi", device_id, illum, fmt.width,
                    fmt.height, fmt.stride, fmt.dpi);
    ok = TRUE;
done:
    if (dev && owned)
        dx_device_free(dev);
    g_free(device_id);
    g_free(illum);
    g_free(settings);
    return ok;
}

static gboolean dx_src_stop(GstBaseSrc *bsrc)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);
    dx_device *dev;
    gboolean owned;

    g_mutex_lock(&self->cancel_lock);
    dev = self->dev;
    owned = self->dev_owned;
    self->dev = NULL;
    self->dev_owned = FALSE;
    g_mutex_unlock(&self->cancel_lock);
    if (dev && owned)
        dx_device_free(dev);
    GST_OBJECT_LOCK(self);
    self->have_fmt = FALSE;
    GST_OBJECT_UNLOCK(self);
    return TRUE;
}

static gboolean dx_src_unlock(GstBaseSrc *bsrc)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);

    g_mutex_lock(&self->cancel_lock);
    self->flushing = TRUE;
    if (self->dev) {
        GST_DEBUG_OBJECT(self, "cancelling the capture");
        dx_device_cancel(self->dev);
    }
    g_mutex_unlock(&self->cancel_lock);
    return TRUE;
}

static gboolean dx_src_unlock_stop(GstBaseSrc *bsrc)
{
    GstDxSrc *self = GST_DX_SRC(bsrc);

    g_mutex_lock(&self->cancel_lock);
    self->flushing = FALSE;
    g_mutex_unlock(&self->cancel_lock);
    return TRUE;
}

static gboolean dx_src_is_flushing(GstDxSrc *self)
{
    gboolean f;
    g_mutex_lock(&self->cancel_lock);
    f = self->flushing;
    g_mutex_unlock(&self->cancel_lock);
    return f;
}

static gboolean dx_src_is_seekable(GstBaseSrc *bsrc)
{
    return FALSE;
}

/* ---- frames -------------------------------------------------------------- */

/* Move rows from the device's stride to GStreamer's in place (the buffer holds
 * height * max(both strides) bytes); the padding is zeroed. */
static void dx_src_repack(guint8 *p, guint height, gsize row, gsize from, gsize to)
{
    if (to < from) {
        for (guint y = 1; y < height; y++)
            memmove(p + y * to, p + y * from, row);
    } else if (to > from) {
        for (guint y = height; y-- > 1;)
            memmove(p + y * to, p + y * from, row);
    }
    if (to > row)
        for (guint y = 0; y < height; y++)
            memset(p + y * to + row, 0, to - row);
}

static GstFlowReturn dx_src_create(GstPushSrc *psrc, GstBuffer **out)
{
    GstDxSrc *self = GST_DX_SRC(psrc);
    GstBaseSrc *bsrc = GST_BASE_SRC(psrc);
    GstFlowReturn ret = GST_FLOW_ERROR;
    GstBuffer *buf = NULL;
    GstBufferPool *pool = NULL;
    GstMapInfo map;
    dx_error err = {0};
    dxp_frame_format fmt;
    dxp_frame_meta meta;
    dx_status st;
    gchar *illum, *device_id;
    gboolean changed;
    gsize row, gst_stride, size;
    gint64 now_us;

    if (dx_src_is_flushing(self))
        return GST_FLOW_FLUSHING;

    GST_OBJECT_LOCK(self);
    illum = g_strdup(self->illumination);
    device_id = g_strdup(self->device_id);
    GST_OBJECT_UNLOCK(self);

    /* The format may depend on options and on the illumination, which may
     * have changed since the last frame: renegotiate when it did. */
    st = dx_device_frame_format(self->dev, illum, &fmt, &err);
    if (st == DX_OK && (!dx_gst_format_name(fmt.format) || fmt.width == 0 || fmt.height == 0 ||
                        fmt.stride < fmt.width * dxp_pixel_size(fmt.format)))
        st = dx_error_set(&err, DX_ERR_DATA, "the device gave an unusable frame format");
    if (st != DX_OK) {
        dx_src_fail(self, GST_RESOURCE_ERROR_SETTINGS, "getting the frame format", TRUE, device_id,
                    illum, st, &err);
        goto done;
    }
    GST_OBJECT_LOCK(self);
    changed = !self->have_fmt || self->fmt.format != fmt.format || self->fmt.width != fmt.width ||
              self->fmt.height != fmt.height || self->fmt.stride != fmt.stride;
    self->fmt = fmt;
    self->have_fmt = TRUE;
    GST_OBJECT_UNLOCK(self);
    if (changed) {
        GST_INFO_OBJECT(self, "format changed: %ux%u stride %u, renegotiating", fmt.width,
                        fmt.height, fmt.stride);
        if (!gst_base_src_negotiate(bsrc)) {
            ret = GST_FLOW_NOT_NEGOTIATED;
            goto done;
        }
    }

    pool = gst_base_src_get_buffer_pool(bsrc);
    if (pool) {
        ret = gst_buffer_pool_acquire_buffer(pool, &buf, NULL);
        if (ret != GST_FLOW_OK)
            goto done;
    } else {
        buf = gst_buffer_new_allocate(NULL, self->alloc_size, NULL);
        if (!buf) {
            GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT,
                              ("cannot allocate %" G_GSIZE_FORMAT " bytes", self->alloc_size),
                              (NULL));
            goto done;
        }
    }
    ret = GST_FLOW_ERROR;
    if (!gst_buffer_map(buf, &map, GST_MAP_WRITE)) {
        GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("cannot map a buffer"), (NULL));
        goto done;
    }
    memset(&meta, 0, sizeof meta);
    meta.exposure_us = -1;
    st = dx_device_capture(self->dev, illum, map.data, map.size, &meta, &err);
    now_us = g_get_monotonic_time();
    row = (gsize)fmt.width * dxp_pixel_size(fmt.format);
    gst_stride = (gsize)GST_VIDEO_INFO_PLANE_STRIDE(&self->vinfo, 0);
    if (st == DX_OK && !self->use_meta)
        dx_src_repack(map.data, fmt.height, row, fmt.stride, gst_stride);
    gst_buffer_unmap(buf, &map);
    if (st != DX_OK) {
        if (st == DX_ERR_CANCELLED && dx_src_is_flushing(self)) {
            GST_DEBUG_OBJECT(self, "capture cancelled while flushing");
            ret = GST_FLOW_FLUSHING;
        } else {
            dx_src_fail(self, GST_RESOURCE_ERROR_READ, "capture", TRUE, device_id, illum, st, &err);
        }
        goto done;
    }

    if (self->use_meta) {
        gsize offset[GST_VIDEO_MAX_PLANES] = {0};
        gint stride[GST_VIDEO_MAX_PLANES] = {(gint)fmt.stride};
        size = (gsize)fmt.stride * fmt.height;
        gst_buffer_set_size(buf, (gssize)size);
        gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
                                       GST_VIDEO_INFO_FORMAT(&self->vinfo), fmt.width,
                                       fmt.height, 1, offset, stride);
    } else {
        size = gst_stride * fmt.height;
        gst_buffer_set_size(buf, (gssize)size);
    }

    /* Stills: PTS is the time since the first frame, so it is monotonic and
     * starts at 0 in the segment. */
    if (self->t0_us < 0)
        self->t0_us = now_us;
    GST_BUFFER_PTS(buf) = (GstClockTime)(now_us - self->t0_us) * GST_USECOND;
    GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION(buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_OFFSET(buf) = self->index;
    GST_BUFFER_OFFSET_END(buf) = self->index + 1;

    gst_element_post_message(
        GST_ELEMENT(self),
        gst_message_new_element(
            GST_OBJECT(self),
            gst_structure_new(DX_GST_MSG_FRAME, "device", G_TYPE_STRING, device_id,
                              "illumination", G_TYPE_STRING, illum, "index", G_TYPE_UINT64,
                              (guint64)self->index, "timestamp-us", G_TYPE_INT64,
                              (gint64)meta.timestamp_us, "exposure-us", G_TYPE_INT64,
                              (gint64)meta.exposure_us, "gain", G_TYPE_DOUBLE, meta.gain,
                              "width", G_TYPE_UINT, fmt.width, "height", G_TYPE_UINT,
                              fmt.height, "dpi", G_TYPE_UINT, fmt.dpi, "format", G_TYPE_STRING,
                              dx_gst_format_name(fmt.format), "stride", G_TYPE_UINT,
                              self->use_meta ? fmt.stride : (guint)gst_stride, NULL)));
    GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT ": %s, %" G_GSIZE_FORMAT " bytes",
                   self->index, illum, size);
    self->index++;
    *out = buf;
    buf = NULL;
    ret = GST_FLOW_OK;
done:
    if (buf)
        gst_buffer_unref(buf);
    if (pool)
        gst_object_unref(pool);
    g_free(illum);
    g_free(device_id);
    return ret;
}

/* ---- GObject ------------------------------------------------------------- */

static void dx_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
    GstDxSrc *self = GST_DX_SRC(object);
    const gchar *s = G_VALUE_HOLDS_STRING(value) ? g_value_get_string(value) : NULL;

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_DEVICE:
        g_free(self->device_id);
        self->device_id = g_strdup(s ? s : DEFAULT_DEVICE);
        break;
    case PROP_ILLUMINATION:
        g_free(self->illumination);
        self->illumination = g_strdup(s ? s : DEFAULT_ILLUMINATION);
        break;
    case PROP_SETTINGS:
        g_free(self->settings);
        self->settings = g_strdup(s ? s : "");
        break;
    case PROP_DEVICE_HANDLE:
        self->handle = g_value_get_pointer(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void dx_src_get_property(GObject *object, guint prop_id, GValue *value,
                                GParamSpec *pspec)
{
    GstDxSrc *self = GST_DX_SRC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_DEVICE: g_value_set_string(value, self->device_id); break;
    case PROP_ILLUMINATION: g_value_set_string(value, self->illumination); break;
    case PROP_SETTINGS: g_value_set_string(value, self->settings); break;
    case PROP_DEVICE_HANDLE: g_value_set_pointer(value, self->handle); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void dx_src_finalize(GObject *object)
{
    GstDxSrc *self = GST_DX_SRC(object);

    if (self->dev && self->dev_owned) /* stop() was not reached */
        dx_device_free(self->dev);
    g_free(self->device_id);
    g_free(self->illumination);
    g_free(self->settings);
    g_mutex_clear(&self->cancel_lock);
    G_OBJECT_CLASS(gst_dx_src_parent_class)->finalize(object);
}

static void gst_dx_src_class_init(GstDxSrcClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS(klass);
    GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS(klass);

    gobject_class->set_property = dx_src_set_property;
    gobject_class->get_property = dx_src_get_property;
    gobject_class->finalize = dx_src_finalize;

    g_object_class_install_property(
        gobject_class, PROP_DEVICE,
        g_param_spec_string("device", "Device",
                            "docex device id, \"<plugin>:<id>\" (see docex devices)",
                            DEFAULT_DEVICE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(
        gobject_class, PROP_ILLUMINATION,
        g_param_spec_string("illumination", "Illumination",
                            "light to capture under (white, uv365, ir870, ... as the device "
                            "offers); may change while playing",
                            DEFAULT_ILLUMINATION,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_SETTINGS,
        g_param_spec_string("settings", "Settings",
                            "device options \"name=value,name=value\", applied at start", "",
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                GST_PARAM_MUTABLE_READY));

    g_object_class_install_property(
        gobject_class, PROP_DEVICE_HANDLE,
        g_param_spec_pointer("device-handle", "Device handle",
                             "an open dx_device * to capture from instead of opening "
                             "\"device\"; the caller keeps it open while the element runs "
                             "and frees it (for applications using libdocex)",
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                 GST_PARAM_MUTABLE_READY));

    gst_element_class_set_static_metadata(
        element_class, "docex capture device source", "Source/Video",
        "Captures still frames from a docex document scanner or camera under a chosen "
        "illumination",
        "docex");
    gst_element_class_add_static_pad_template(element_class, &src_template);

    basesrc_class->start = GST_DEBUG_FUNCPTR(dx_src_start);
    basesrc_class->stop = GST_DEBUG_FUNCPTR(dx_src_stop);
    basesrc_class->unlock = GST_DEBUG_FUNCPTR(dx_src_unlock);
    basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR(dx_src_unlock_stop);
    basesrc_class->get_caps = GST_DEBUG_FUNCPTR(dx_src_get_caps);
    basesrc_class->fixate = GST_DEBUG_FUNCPTR(dx_src_fixate);
    basesrc_class->negotiate = GST_DEBUG_FUNCPTR(dx_src_negotiate);
    basesrc_class->set_caps = GST_DEBUG_FUNCPTR(dx_src_set_caps);
    basesrc_class->decide_allocation = GST_DEBUG_FUNCPTR(dx_src_decide_allocation);
    basesrc_class->is_seekable = GST_DEBUG_FUNCPTR(dx_src_is_seekable);
    pushsrc_class->create = GST_DEBUG_FUNCPTR(dx_src_create);
}

static void gst_dx_src_init(GstDxSrc *self)
{
    GstBaseSrc *bsrc = GST_BASE_SRC(self);

    self->device_id = g_strdup(DEFAULT_DEVICE);
    self->illumination = g_strdup(DEFAULT_ILLUMINATION);
    self->settings = g_strdup("");
    g_mutex_init(&self->cancel_lock);
    self->t0_us = -1;
    gst_base_src_set_live(bsrc, FALSE);
    gst_base_src_set_format(bsrc, GST_FORMAT_TIME);
    gst_base_src_set_do_timestamp(bsrc, FALSE);
}

/* ---- registration ---------------------------------------------------------- */

/* Callers initialise GStreamer (gst_init) before calling this; it returns
 * false when they have not.  Safe to call repeatedly and from several threads:
 * G_DEFINE_TYPE registers the GType once, and a static registration is skipped
 * when a "dxsrc" factory already exists (registered earlier, or found in the
 * registry from libgstdocex.so on GST_PLUGIN_PATH — both share this GType
 * because the plugin uses this very libdocex). */
bool dx_gst_register(void *gst_plugin)
{
    static GMutex lock;
    GstElementFactory *factory;
    gboolean ok;

    if (!gst_is_initialized())
        return false;
    if (gst_plugin)
        return gst_element_register(GST_PLUGIN(gst_plugin), DX_GST_ELEMENT, GST_RANK_NONE,
                                    GST_TYPE_DX_SRC);
    g_mutex_lock(&lock);
    factory = gst_element_factory_find(DX_GST_ELEMENT);
    if (factory) {
        gst_object_unref(factory);
        ok = TRUE;
    } else {
        ok = gst_element_register(NULL, DX_GST_ELEMENT, GST_RANK_NONE, GST_TYPE_DX_SRC);
    }
    g_mutex_unlock(&lock);
    return ok;
}
