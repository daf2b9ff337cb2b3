/* docex — the vendor plugin ABI.
 *
 * This header is everything a hardware vendor needs to write a docex plugin:
 * plain C11, no GLib or GStreamer types, no libdocex symbols to link against.
 * A plugin is a shared object that exports exactly one symbol,
 *
 *     const dxp_plugin *dxp_plugin_entry(void);      (DXP_ENTRY_SYMBOL)
 *
 * which returns a pointer to a constant descriptor.  The host reads abi_major,
 * abi_minor and struct_size first and refuses the plugin, without touching
 * anything else, when the major differs from its own, the minor is newer than
 * its own or the struct is smaller than the ABI version it claims.
 *
 * Growing the ABI: new members are only ever added in place of reserved slots
 * (which keep every struct's size), or at the end together with a minor bump.
 * Every table carries its own struct_size so that the host never reads past
 * what the plugin built; the sizes ABI 1.0 requires are the DXP_*_SIZE_1_0
 * constants below, which never change.  Array elements (device info,
 * illuminations, options) carry reserved fields so they can grow without
 * changing their stride.
 *
 * Out of process.  Nothing here assumes the plugin runs inside the host's
 * process.  Every call passes plain values or buffers that the caller owns:
 * frames are written into a buffer the host allocates, APDUs are read from and
 * written to host buffers, text handed to the host is copied by it before the
 * call returns, and text the plugin hands out (names, tables) stays valid as
 * long as the object it describes (plugin or open device).  A later host may
 * run each plugin in a helper process and forward these calls unchanged.
 *
 * Threading.  The host serialises every call on one plugin context (init,
 * enumerate, open, fini) and every call on one device, with one exception:
 * cancel() may be called from any thread while a capture(), wait_card() or
 * transmit() on the same device is running — and may be called repeatedly
 * (the host repeats it until the operation has returned, so that a request
 * that arrives just before the plugin enters the operation is not lost).
 * Different devices of one plugin may be used from different threads at once;
 * a plugin that cannot allow this says so with DXP_PLUGIN_FLAG_SERIAL and the
 * host then serialises all its calls.  A plugin may call the host services
 * (log, get_setting) from any thread, its own threads included, from the
 * start of init() until fini() returns, and never after.
 *
 * Limits.  The host checks every table a plugin hands over against the
 * DXP_MAX_* limits and the name rules below, copies it, and refuses to open a
 * device whose description breaks them (DX_ERR_PROTOCOL, with the reason).
 *
 * Logging.  A plugin never writes to stdout or stderr: it logs through
 * host->log() (or the dxp_log() helper below).
 *
 * Statuses.  Every operation returns a dx_status (docex/status.h).  The
 * meaning of each status for each operation is given where the operation is
 * declared; DX_ERR_INVALID_ARG is always allowed for a NULL or out-of-range
 * argument, DX_ERR_NO_MEMORY always for an allocation failure.
 */
#ifndef DOCEX_PLUGIN_H
#define DOCEX_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "docex/illumination.h"
#include "docex/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versioning ------------------------------------------------------- */

#define DXP_ABI_MAJOR 1
#define DXP_ABI_MINOR 0
#define DXP_ENTRY_SYMBOL "dxp_plugin_entry"

#if defined(__GNUC__)
#define DXP_EXPORT __attribute__((visibility("default")))
#else
#define DXP_EXPORT
#endif

/* Declares the entry point.  Use once per plugin:
 *     DXP_PLUGIN_ENTRY(my_descriptor)
 * where my_descriptor is a `static const dxp_plugin`. */
#define DXP_PLUGIN_ENTRY(desc)                              \
    DXP_EXPORT const dxp_plugin *dxp_plugin_entry(void);    \
    DXP_EXPORT const dxp_plugin *dxp_plugin_entry(void) { return &(desc); }

/* ---- limits --------------------------------------------------------------- */

#define DXP_MAX_DEVICES 256        /* devices one enumerate() may report */
#define DXP_MAX_ILLUMINATIONS 64   /* per device */
#define DXP_MAX_RESOLUTIONS 32
#define DXP_MAX_PIXEL_FORMATS 8
#define DXP_MAX_OPTIONS 128
#define DXP_MAX_CHOICES 64         /* per ENUM option */
#define DXP_NAME_MAX 32            /* option and illumination names: [a-z0-9_]{1,31} */

/* ---- opaque handles ---------------------------------------------------- */

/* The plugin's own per-load state, made by init() and freed by fini(). */
typedef struct dxp_plugin_ctx dxp_plugin_ctx;
/* One open device, made by open() and freed by close(). */
typedef struct dxp_device dxp_device;
/* The host's side of the services below; opaque to the plugin. */
typedef struct dxp_host_ctx dxp_host_ctx;

/* ---- host services ----------------------------------------------------- */

typedef enum dxp_log_level {
    DXP_LOG_ERROR = 1,
    DXP_LOG_WARNING = 2,
    DXP_LOG_INFO = 3,
    DXP_LOG_DEBUG = 4,
    DXP_LOG_TRACE = 5
} dxp_log_level;

/* Services the host gives a plugin in init().  The struct and everything it
 * points to are owned by the host and stay valid until fini() returns.  Each
 * service may be called from any thread. */
typedef struct dxp_host {
    uint32_t abi_major;   /* the host's DXP_ABI_MAJOR */
    uint32_t abi_minor;   /* the host's DXP_ABI_MINOR */
    uint32_t struct_size; /* sizeof(dxp_host) as the host built it */
    uint32_t reserved0;
    dxp_host_ctx *ctx;    /* pass back to every service */

    /* Log one line.  `message` is plain text without a newline; the host copies
     * it before returning.  The host adds the plugin's name as the category and
     * drops lines below the level set for it (DOCEX_DEBUG). */
    void (*log)(dxp_host_ctx *ctx, dxp_log_level level, const char *message);

    /* Returns 1 when `level` would be logged, 0 otherwise (skip costly work). */
    int (*log_enabled)(dxp_host_ctx *ctx, dxp_log_level level);

    /* Read a host setting into `buf` (NUL-terminated, at most `size` bytes).
     * Keys are "<plugin>.<name>" for the plugin's own settings (set by the user
     * with DOCEX_SET="sim.scene=/dir;..." or the CLI's --set) and "docex.<name>"
     * for the host's: "docex.datadir" (installed data, share/docex),
     * "docex.version".  Returns DX_OK, DX_ERR_NOT_FOUND when unset, or
     * DX_ERR_INVALID_ARG when the value does not fit (nothing written then). */
    dx_status (*get_setting)(dxp_host_ctx *ctx, const char *key, char *buf, size_t size);

    void *reserved[8];
} dxp_host;

/* printf-style helper over host->log (does nothing when the level is off). */
static inline void dxp_log(const dxp_host *host, dxp_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline void dxp_log(const dxp_host *host, dxp_log_level level, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    if (!host || !host->log || (host->log_enabled && !host->log_enabled(host->ctx, level)))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    host->log(host->ctx, level, line);
}

/* ---- self-description -------------------------------------------------- */

typedef enum dxp_device_kind {
    DXP_KIND_SCANNER = 1u << 0,     /* document scanner: captures under its own lights */
    DXP_KIND_CAMERA = 1u << 1,      /* camera: captures under whatever light is on */
    DXP_KIND_CHIP_READER = 1u << 2, /* contactless (ISO 14443) chip reader */
    DXP_KIND_LIGHT = 1u << 3        /* separately controlled light source */
} dxp_device_kind;

/* One device found by enumerate(), filled in by the plugin by value. */
typedef struct dxp_device_info {
    char id[64];       /* plugin-local id, stable while plugged: "0", "usb-1-2" */
    uint32_t kinds;    /* bit set of dxp_device_kind */
    char model[64];    /* human model name */
    char vendor[64];
    char serial[64];   /* "" when unknown */
    /* Text is printable UTF-8; the host replaces anything else with '?'. */
    uint32_t reserved[16];
} dxp_device_info;

typedef enum dxp_pixel_format {
    DXP_PIXEL_GRAY8 = 1,   /* 1 byte per pixel */
    DXP_PIXEL_GRAY16 = 2,  /* 2 bytes per pixel, little-endian, full 16-bit range */
    DXP_PIXEL_RGB24 = 3    /* 3 bytes per pixel, R G B */
} dxp_pixel_format;

/* One light a capture device offers.  For a standard name (illumination.h) the
 * band and geometry may be left 0 and the host fills in the standard values;
 * a vendor name must give them. */
typedef struct dxp_illumination {
    const char *name;          /* "uv365", or a vendor name such as "acme_uv395" */
    uint32_t band_lo_nm;       /* lower edge of the band, nm */
    uint32_t band_hi_nm;       /* upper edge of the band, nm */
    dx_geometry geometry;
    const char *description;   /* may be NULL */
    void *reserved[4];         /* zero */
} dxp_illumination;

typedef enum dxp_option_type {
    DXP_OPT_BOOL = 1,
    DXP_OPT_INT = 2,    /* int64, range [min_i, max_i] */
    DXP_OPT_FLOAT = 3,  /* double, range [min_f, max_f] */
    DXP_OPT_STRING = 4, /* text, at most DXP_VALUE_TEXT_MAX-1 bytes */
    DXP_OPT_ENUM = 5    /* one of `choices`, passed as text */
} dxp_option_type;

typedef enum dxp_unit {
    DXP_UNIT_NONE = 0,
    DXP_UNIT_PIXEL = 1,
    DXP_UNIT_MM = 2,
    DXP_UNIT_DPI = 3,
    DXP_UNIT_DEGREE = 4,
    DXP_UNIT_MILLISECOND = 5,
    DXP_UNIT_MICROSECOND = 6,
    DXP_UNIT_PERCENT = 7,
    DXP_UNIT_COUNT = 8
} dxp_unit;

#define DXP_VALUE_TEXT_MAX 256

/* An option value, passed by value. */
typedef struct dxp_value {
    dxp_option_type type;
    int64_t i;                     /* BOOL (0/1) and INT */
    double f;                      /* FLOAT */
    char s[DXP_VALUE_TEXT_MAX];    /* STRING and ENUM */
} dxp_value;

/* One settable option of a device.  The host parses user text ("delay_ms=20")
 * with this table, checks the type and range and only then calls set_option(),
 * so a plugin sees only well-formed values within the declared range. */
typedef struct dxp_option {
    const char *name;              /* [a-z0-9_]+ */
    dxp_option_type type;
    dxp_unit unit;
    int64_t min_i, max_i;          /* INT range, inclusive */
    double min_f, max_f;           /* FLOAT range, inclusive */
    const char *const *choices;    /* ENUM: NULL-terminated list */
    const char *default_value;     /* as text, parsed like user input */
    const char *description;       /* one line, shown in --help and UIs */
    void *reserved[4];             /* zero */
} dxp_option;

/* What an open device offers.  Filled in by describe(); the arrays are owned by
 * the plugin and stay valid and unchanged until the device is closed. */
typedef struct dxp_device_desc {
    uint32_t struct_size;          /* set by the host before the call */
    uint32_t kinds;                /* bit set of dxp_device_kind */
    const dxp_illumination *illuminations; /* scanners (and light devices) */
    uint32_t n_illuminations;
    const uint32_t *resolutions_dpi;       /* capture resolutions offered */
    uint32_t n_resolutions;
    const dxp_pixel_format *pixel_formats; /* formats the device can deliver */
    uint32_t n_pixel_formats;
    const dxp_option *options;
    uint32_t n_options;
    void *reserved[8];
} dxp_device_desc;

/* ---- frames -------------------------------------------------------------- */

/* Format of the next frame for an illumination, known before the capture. */
typedef struct dxp_frame_format {
    dxp_pixel_format format;
    uint32_t width, height;   /* pixels */
    uint32_t stride;          /* bytes per row, >= width * bytes per pixel */
    uint32_t dpi;             /* optical resolution of the frame (0 if unknown) */
    uint32_t reserved[3];
} dxp_frame_format;

/* Facts about one captured frame, filled in by capture(). */
typedef struct dxp_frame_meta {
    int64_t timestamp_us;     /* wall clock, µs since the Unix epoch, at exposure */
    int64_t exposure_us;      /* exposure time, or -1 when unknown */
    double gain;              /* analogue gain, or 0 when unknown */
    uint32_t reserved[8];
} dxp_frame_meta;

/* ---- operation tables per device kind ---------------------------------- */

/* Scanners and cameras.  The host calls get_frame_format() before each
 * capture (the format may depend on options), allocates stride*height bytes
 * and calls capture() with that buffer. */
typedef struct dxp_capture_ops {
    uint32_t struct_size;

    /* Format the next capture() under `illumination` will deliver.
     * `illumination` is one of the names given in describe() (a camera, which
     * has no lights of its own, accepts "ambient" only).  Statuses:
     * DX_ERR_INVALID_ARG for an unknown illumination, DX_ERR_DISCONNECTED. */
    dx_status (*get_frame_format)(dxp_device *dev, const char *illumination, dxp_frame_format *fmt);

    /* Capture one frame under `illumination` into `buf` (owned by the host,
     * `size` bytes, at least stride*height of the format just returned).  Blocks
     * until the frame is complete.  On any status but DX_OK the buffer's content
     * is undefined and the host discards it.  Statuses: DX_ERR_INVALID_ARG
     * (unknown illumination or buffer too small), DX_ERR_NO_DOCUMENT,
     * DX_ERR_COVER_OPEN, DX_ERR_BUSY, DX_ERR_TIMEOUT, DX_ERR_DISCONNECTED (the
     * device is gone: every later call but close() fails the same way),
     * DX_ERR_HARDWARE, DX_ERR_CANCELLED (cancel() was called). */
    dx_status (*capture)(dxp_device *dev, const char *illumination, void *buf, size_t size,
                         dxp_frame_meta *meta);

    /* Ask a running capture() on this device to stop early; it then returns
     * DX_ERR_CANCELLED (or DX_OK if it had already finished).  May be called
     * from any thread, also when no capture runs (then it does nothing and
     * returns DX_OK), and several times for one capture.  Must not block for
     * longer than it takes to signal. */
    dx_status (*cancel)(dxp_device *dev);

    void *reserved[8];
} dxp_capture_ops;

/* Contactless chip readers (ISO/IEC 14443 through ISO/IEC 7816-4 APDUs). */
typedef struct dxp_chip_ops {
    uint32_t struct_size;

    /* Wait up to timeout_ms (-1: forever, 0: poll) for a card, connect to it
     * and copy its ATR/ATS into atr (atr_size bytes; *atr_len set).
     * Statuses: DX_ERR_NO_CARD (none within the time), DX_ERR_CANCELLED,
     * DX_ERR_DISCONNECTED (reader gone). */
    dx_status (*wait_card)(dxp_device *dev, int32_t timeout_ms, uint8_t *atr, size_t atr_size,
                           size_t *atr_len);

    /* Send one command APDU (short or extended length) and receive the whole
     * response including SW1 SW2 into rsp (rsp_size bytes; *rsp_len set).
     * Buffers are the host's.  Statuses: DX_ERR_CARD_REMOVED, DX_ERR_NO_CARD
     * (not connected), DX_ERR_INVALID_ARG (response buffer too small),
     * DX_ERR_UNSUPPORTED (extended length not supported by the reader),
     * DX_ERR_TIMEOUT, DX_ERR_CANCELLED, DX_ERR_DISCONNECTED. */
    dx_status (*transmit)(dxp_device *dev, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                          size_t rsp_size, size_t *rsp_len);

    /* Drop the connection to the card (the field may stay on). */
    dx_status (*release_card)(dxp_device *dev);

    /* As dxp_capture_ops.cancel, for wait_card() and transmit().
     * release_card() is not cancellable and must return promptly. */
    dx_status (*cancel)(dxp_device *dev);

    void *reserved[8];
} dxp_chip_ops;

/* Separately controlled lights (a ring light for a camera, say). */
typedef struct dxp_light_ops {
    uint32_t struct_size;

    /* Switch the light `illumination` (from describe()) on at `intensity`
     * percent (1..100), or off with 0.  Only one light is on at a time: turning
     * one on turns the others off.  Returns when the light is stable (not
     * cancellable: a light that needs long to settle says so in its option
     * table, e.g. a warm-up option).  DX_ERR_INVALID_ARG for an unknown light. */
    dx_status (*set)(dxp_device *dev, const char *illumination, uint32_t intensity);

    void *reserved[8];
} dxp_light_ops;

/* ---- the descriptor ------------------------------------------------------ */

#define DXP_PLUGIN_FLAG_SERIAL 1u /* the host must not call two devices at once */

typedef struct dxp_plugin {
    uint32_t abi_major;     /* DXP_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;     /* DXP_ABI_MINOR the plugin was built with */
    uint32_t struct_size;   /* sizeof(dxp_plugin) as the plugin built it */
    uint32_t flags;         /* DXP_PLUGIN_FLAG_* */

    const char *name;       /* unique, [a-z0-9_-]+, the prefix of device ids ("sim") */
    const char *version;    /* the plugin's own version, "1.2.0" */
    const char *vendor;
    const char *license;    /* SPDX identifier */
    const char *description;

    /* Set up the plugin.  `host` stays valid until fini() returns.  Anything
     * but DX_OK makes the host refuse the plugin (fini() is not called then).
     * Called once, before any other operation. */
    dx_status (*init)(const dxp_host *host, dxp_plugin_ctx **ctx);

    /* Free everything.  Every device has been closed before. */
    void (*fini)(dxp_plugin_ctx *ctx);

    /* List the devices present now into out[0..capacity-1] and set *count to
     * the number present (which may exceed capacity: call again with more).
     * A plugin with nothing attached returns DX_OK and 0. */
    dx_status (*enumerate)(dxp_plugin_ctx *ctx, dxp_device_info *out, uint32_t capacity,
                           uint32_t *count);

    /* Open the device with plugin-local id `id` (from enumerate()).
     * Statuses: DX_ERR_NOT_FOUND, DX_ERR_BUSY (opened elsewhere),
     * DX_ERR_DISCONNECTED, DX_ERR_IO. */
    dx_status (*open)(dxp_plugin_ctx *ctx, const char *id, dxp_device **dev);

    /* Close the device and free it.  Any running operation has returned
     * before (the host cancels and waits).  `dev` is invalid afterwards. */
    void (*close)(dxp_device *dev);

    /* Describe the open device (see dxp_device_desc).  The host sets
     * desc->struct_size; the plugin fills in what fits below it. */
    dx_status (*describe)(dxp_device *dev, dxp_device_desc *desc);

    /* Set one option from describe()'s table to an already validated value.
     * Statuses: DX_ERR_NOT_FOUND (no such option), DX_ERR_INVALID_ARG (a
     * constraint the table cannot express), DX_ERR_BUSY. */
    dx_status (*set_option)(dxp_device *dev, const char *name, const dxp_value *value);

    /* Read an option's current value into *value. */
    dx_status (*get_option)(dxp_device *dev, const char *name, dxp_value *value);

    /* Operation tables; NULL when the plugin has no device of that kind. */
    const dxp_capture_ops *scanner;
    const dxp_capture_ops *camera;
    const dxp_chip_ops *chip;
    const dxp_light_ops *light;

    void *reserved[16];
} dxp_plugin;

typedef const dxp_plugin *(*dxp_entry_fn)(void);

/* The sizes ABI 1.0 requires of the descriptor and of each table: the host
 * refuses anything smaller.  Fixed forever: a later minor that appends members
 * makes its own constants, and 1.0 plugins still load. */
#define DXP_PLUGIN_SIZE_1_0 (offsetof(dxp_plugin, reserved) + 16 * sizeof(void *))
#define DXP_CAPTURE_OPS_SIZE_1_0 (offsetof(dxp_capture_ops, reserved) + 8 * sizeof(void *))
#define DXP_CHIP_OPS_SIZE_1_0 (offsetof(dxp_chip_ops, reserved) + 8 * sizeof(void *))
#define DXP_LIGHT_OPS_SIZE_1_0 (offsetof(dxp_light_ops, reserved) + 8 * sizeof(void *))
#define DXP_DEVICE_DESC_SIZE_1_0 (offsetof(dxp_device_desc, reserved) + 8 * sizeof(void *))

/* Bytes per pixel of a dxp_pixel_format (0 for an unknown one). */
static inline uint32_t dxp_pixel_size(dxp_pixel_format f)
{
    return f == DXP_PIXEL_GRAY8 ? 1u : f == DXP_PIXEL_GRAY16 ? 2u : f == DXP_PIXEL_RGB24 ? 3u : 0u;
}

#ifdef __cplusplus
}
#endif
#endif
