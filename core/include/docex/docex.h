/* docex — the public C API of libdocex (prefix dx_).
 *
 * This is the application face: the host that loads plugins, devices, capture
 * sets.  Vendors do not need it: their ABI is docex/plugin.h alone.
 * Every function is safe to call from any thread unless it says otherwise;
 * one dx_device is used from one thread at a time, except dx_device_cancel().
 */
#ifndef DOCEX_DOCEX_H
#define DOCEX_DOCEX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/illumination.h"
#include "docex/plugin.h"
#include "docex/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DX_API __attribute__((visibility("default")))
#else
#define DX_API
#endif

/* Version of libdocex ("0.1.0"). */
DX_API const char *dx_version(void);

/* ---- errors -------------------------------------------------------------- */

/* A status with a one-line message saying what failed, where and why. */
typedef struct dx_error {
    dx_status status;
    char message[512];
} dx_error;

/* Set *err (if err is not NULL) and return status. */
DX_API dx_status dx_error_set(dx_error *err, dx_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- logging ------------------------------------------------------------- */

typedef enum dx_log_level {
    DX_LOG_NONE = 0,
    DX_LOG_ERROR = 1,
    DX_LOG_WARNING = 2,
    DX_LOG_INFO = 3,
    DX_LOG_DEBUG = 4,
    DX_LOG_TRACE = 5
} dx_log_level;

/* Receives every log line that passes the level filter.  `category` is a module
 * ("loader", "capture") or a plugin's name; `message` has no newline. */
typedef void (*dx_log_handler)(dx_log_level level, const char *category, const char *message,
                               void *user);

/* Replace the log handler (NULL restores the default, which writes
 * "docex: LEVEL: CATEGORY: MESSAGE" to stderr). */
DX_API void dx_log_set_handler(dx_log_handler handler, void *user);

/* Set levels from a spec like "warning", "4" or "loader:debug,sim:trace,*:info".
 * The default is "warning", overridden by the DOCEX_DEBUG environment variable. */
DX_API dx_status dx_log_set_levels(const char *spec);

DX_API bool dx_log_enabled(const char *category, dx_log_level level);
DX_API void dx_log(const char *category, dx_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- illuminations ------------------------------------------------------- */

typedef struct dx_illumination {
    char name[DX_ILLUM_NAME_MAX];
    uint32_t band_lo_nm, band_hi_nm;
    dx_geometry geometry;
    bool standard;            /* one of illumination.h's names */
    const char *description;  /* static text or "" */
} dx_illumination;

/* The standard illumination `name`, or NULL. */
DX_API const dx_illumination *dx_illumination_find(const char *name);
/* The standard illumination at index i (0..DX_ILLUM_COUNT-1). */
DX_API const dx_illumination *dx_illumination_at(size_t i);
/* "reflected", "transmitted", "oblique", "coaxial" (or "unknown"). */
DX_API const char *dx_geometry_name(dx_geometry g);

/* ---- host: plugins and settings ------------------------------------------ */

typedef struct dx_host dx_host;

typedef struct dx_host_options {
    /* Extra plugin directories searched first (colon separated) — besides
     * DOCEX_PLUGIN_PATH and the directory next to libdocex (build tree or
     * install).  May be NULL. */
    const char *plugin_path;
    /* When set, load only these plugin files (colon separated) and search no
     * directory: the conformance kit uses this. */
    const char *only_files;
    /* Host settings "key=value;key=value" (see dxp_host.get_setting), applied
     * after DOCEX_SET from the environment.  May be NULL. */
    const char *settings;
} dx_host_options;

DX_API dx_status dx_host_new(const dx_host_options *opts, dx_host **out, dx_error *err);
DX_API void dx_host_free(dx_host *host);

/* The process-wide host, made on first use with default options (what the
 * GStreamer element uses).  dx_host_set_default() installs one made by the
 * application instead, before any use; the default host is never freed. */
DX_API dx_host *dx_host_default(dx_error *err);
DX_API dx_status dx_host_set_default(dx_host *host);

/* Set a host setting ("sim.scene", "/path"). */
DX_API dx_status dx_host_set(dx_host *host, const char *key, const char *value);
/* A host setting or NULL; the text stays valid until the host is freed
 * (a later dx_host_set() gives new text, it does not change this one). */
DX_API const char *dx_host_get(dx_host *host, const char *key);
/* The data directory (DOCEX_DATA_DIR, else share/docex beside the library)
 * without a host; made once per process, never NULL. */
DX_API const char *dx_datadir(void);
/* Directory of the installed data (share/docex), never NULL. */
DX_API const char *dx_host_datadir(dx_host *host);

typedef struct dx_plugin_info {
    const char *name, *version, *vendor, *license, *description;
    const char *path;           /* the .so it was loaded from */
    uint32_t abi_major, abi_minor;
    bool has_scanner, has_camera, has_chip, has_light;
} dx_plugin_info;

/* A plugin the loader refused, with the reason. */
typedef struct dx_plugin_refusal {
    const char *path;
    const char *reason;
} dx_plugin_refusal;

DX_API size_t dx_host_plugin_count(const dx_host *host);
DX_API const dx_plugin_info *dx_host_plugin_at(const dx_host *host, size_t i);
DX_API size_t dx_host_refusal_count(const dx_host *host);
DX_API const dx_plugin_refusal *dx_host_refusal_at(const dx_host *host, size_t i);
/* The plugin's own descriptor (for the conformance kit). */
DX_API const dxp_plugin *dx_host_plugin_descriptor(const dx_host *host, size_t i);

/* ---- devices ------------------------------------------------------------- */

typedef struct dx_device_entry {
    char id[128];               /* "<plugin>:<local id>", e.g. "sim:0" */
    const char *plugin;
    dxp_device_info info;
} dx_device_entry;

/* Enumerate every plugin's devices.  *out is an array the caller frees with
 * free(); a plugin whose enumerate() fails is logged and skipped. */
DX_API dx_status dx_host_list_devices(dx_host *host, dx_device_entry **out, size_t *count,
                                      dx_error *err);

typedef struct dx_device dx_device;

DX_API dx_status dx_device_open(dx_host *host, const char *id, dx_device **out, dx_error *err);
/* Release the hardware; the handle stays valid and every later call on it
 * returns DX_ERR_STATE, until dx_device_free(). */
DX_API void dx_device_close(dx_device *dev);
/* Close (if open) and free the handle. */
DX_API void dx_device_free(dx_device *dev);

DX_API const char *dx_device_id(const dx_device *dev);
DX_API const dxp_device_info *dx_device_info(const dx_device *dev);
DX_API const dx_plugin_info *dx_device_plugin(const dx_device *dev);
/* The device's description, as the plugin gave it (valid while open). */
DX_API const dxp_device_desc *dx_device_desc(const dx_device *dev);

/* The device's illuminations with bands resolved (standard ones filled in).
 * Valid while the device is open. */
DX_API size_t dx_device_illumination_count(const dx_device *dev);
DX_API const dx_illumination *dx_device_illumination_at(const dx_device *dev, size_t i);
DX_API const dx_illumination *dx_device_illumination_find(const dx_device *dev, const char *name);

/* Parse and apply "name=value,name=value" against the device's option table
 * (type, range, choices checked; nothing applied when any is wrong). */
DX_API dx_status dx_device_set_options(dx_device *dev, const char *settings, dx_error *err);
/* Apply one option given as text. */
DX_API dx_status dx_device_set_option(dx_device *dev, const char *name, const char *value,
                                      dx_error *err);
/* Parse `text` as a value of `opt` (what dx_device_set_option does first). */
DX_API dx_status dx_option_parse(const dxp_option *opt, const char *text, dxp_value *out,
                                 dx_error *err);

/* True when the device can capture (scanner or camera). */
DX_API bool dx_device_can_capture(const dx_device *dev);

DX_API dx_status dx_device_frame_format(dx_device *dev, const char *illumination,
                                        dxp_frame_format *fmt, dx_error *err);
/* Capture into a host buffer of `size` bytes (>= stride*height). */
DX_API dx_status dx_device_capture(dx_device *dev, const char *illumination, void *buf,
                                   size_t size, dxp_frame_meta *meta, dx_error *err);
/* From any thread: stop a running capture (see dxp_capture_ops.cancel).
 * While a capture runs, the request is repeated until it has returned (at
 * most about 2 s), so a cancel that lands just before the plugin entered
 * capture() is not lost; with none running it does nothing and returns DX_OK. */
DX_API dx_status dx_device_cancel(dx_device *dev);

/* True when the device is a contactless chip reader. */
DX_API bool dx_device_is_chip_reader(const dx_device *dev);
/* Wait up to timeout_ms (-1 forever, 0 poll) for a card, connect, copy its
 * ATR (see dxp_chip_ops.wait_card).  DX_ERR_NO_CARD when none came;
 * dx_device_cancel() stops the wait (DX_ERR_CANCELLED). */
DX_API dx_status dx_device_wait_card(dx_device *dev, int32_t timeout_ms, uint8_t *atr,
                                     size_t atr_size, size_t *atr_len, dx_error *err);
/* One command APDU, the whole response with SW1 SW2 into rsp (rsp_size bytes).
 * A plugin's reply is checked (length within the buffer, at least SW1 SW2). */
DX_API dx_status dx_device_transmit(dx_device *dev, const uint8_t *cmd, size_t cmd_len,
                                    uint8_t *rsp, size_t rsp_size, size_t *rsp_len,
                                    dx_error *err);
/* Drop the connection to the card. */
DX_API dx_status dx_device_release_card(dx_device *dev, dx_error *err);

/* ---- capture sets ------------------------------------------------------- */

/* zlib level of capture PNGs when dx_capture_options.png_compression is -1.
 * tests/bench at 600 dpi: on sensor-like (noisy) frames level 1 is ~30% faster
 * than 3 and ~3% larger, and 6 or 9 cost about twice as much for nothing; on
 * clean frames 1 and 3 are alike. */
#define DX_CAPTURE_PNG_DEFAULT_LEVEL 1

typedef struct dx_capture_options {
    const char *device;          /* "sim:0" */
    const char *const *illuminations; /* NULL-terminated; NULL or {"all"} = all offered */
    const char *out_dir;         /* created if missing */
    const char *device_settings; /* "k=v,..." for the device, may be NULL */
    int png_compression;         /* zlib level 0..9, or -1 for DX_CAPTURE_PNG_DEFAULT_LEVEL */
    int64_t timeout_ms;          /* per illumination; 0 = DX_CAPTURE_DEFAULT_TIMEOUT_MS */
    /* May be NULL.  When the flag becomes non-zero (a signal handler sets it),
     * the running capture is cancelled, the rest are recorded as not captured,
     * the manifest is finished, and DX_ERR_CANCELLED is returned. */
    const volatile sig_atomic_t *interrupt;
} dx_capture_options;

/* How long one illumination may take (a scanner may wait for a document). */
#define DX_CAPTURE_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)

/* Capture every requested illumination through a GStreamer pipeline
 * (dxsrc ! videoconvert ! pngenc ! appsink) into out_dir, writing each PNG
 * and out_dir/capture.json atomically.  The manifest is rewritten after every
 * capture, so it always lists what was captured and what failed.  Returns DX_OK
 * only when every illumination was captured.  `progress` may be NULL. */
typedef void (*dx_capture_progress)(const char *illumination, const char *file,
                                    dx_status status, const char *message, void *user);
DX_API dx_status dx_capture_set_write(dx_host *host, const dx_capture_options *opts,
                                      dx_capture_progress progress, void *user, dx_error *err);

/* A capture set read back from disk: a directory written by
 * dx_capture_set_write() (capture.json), or a scene directory (scene.json and
 * one <illumination>.png per light, as docex synth and the sim plugin use). */
typedef struct dx_capture_entry {
    char illumination[DX_ILLUM_NAME_MAX];
    char path[4096];            /* the image file */
    uint32_t dpi;               /* 0 when the set does not say */
    char sha256[65];            /* as recorded in capture.json, "" for a scene */
} dx_capture_entry;

typedef struct dx_capture_set {
    char dir[4096];
    bool is_scene;              /* scene.json, not capture.json */
    size_t n;
    dx_capture_entry *entries;  /* in the order the set lists them */
} dx_capture_set;

/* Read the set in `dir` (or the capture.json / scene.json file itself).
 * Every capture listed in capture.json is checked against its recorded
 * SHA-256: a file changed since it was captured is an error (DX_ERR_DATA,
 * naming the file), as is a missing file (DX_ERR_NOT_FOUND) or a manifest
 * that is not JSON of the expected format (DX_ERR_DATA, saying where). */
DX_API dx_status dx_capture_set_open(const char *dir, dx_capture_set **out, dx_error *err);
DX_API void dx_capture_set_close(dx_capture_set *set);
/* The capture under `illumination`, or NULL. */
DX_API const dx_capture_entry *dx_capture_set_find(const dx_capture_set *set,
                                                   const char *illumination);
/* The capture to read the MRZ from: the MRZ is printed in IR-absorbing ink,
 * so ir870 (B900), then ir950, ir730, then white, then any reflected light.
 * NULL when the set holds no capture. */
DX_API const dx_capture_entry *dx_capture_set_mrz_source(const dx_capture_set *set);

/* Register the dxsrc element with GStreamer: with `gst_plugin` NULL as a
 * static element of this process (what libdocex does itself before building a
 * pipeline), or for the GStreamer plugin that wraps libdocex.  `gst_plugin` is a
 * GstPlugin*; this header avoids GLib types.  Returns true on success. */
DX_API bool dx_gst_register(void *gst_plugin);

#ifdef __cplusplus
}
#endif
#endif
