/* The capture-set manifest (capture.json): an in-memory record rewritten
 * atomically after every capture, so that it always says what was captured
 * and what failed. */
#ifndef DOCEX_CAPTURE_MANIFEST_H
#define DOCEX_CAPTURE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

#define DX_CAPTURE_FORMAT "docex.capture/1"
#define DX_CAPTURE_MANIFEST "capture.json"

typedef struct dx_capture_record {
    dx_illumination illum;
    char file[64];             /* relative to the set's directory */
    uint32_t width, height, bit_depth, channels, dpi;
    const char *pixel_format;  /* "GRAY8", "GRAY16", "RGB24" (static) */
    int64_t timestamp_us;      /* the device's time of exposure (else host_time_us) */
    int64_t host_time_us;      /* the host's clock when the frame arrived */
    int64_t exposure_us;       /* -1 when unknown */
    uint64_t bytes;
    char sha256[65];           /* lower-case hex of the file's bytes as written */
} dx_capture_record;

typedef struct dx_capture_failure {
    char illumination[DX_ILLUM_NAME_MAX];
    dx_status status;
    char message[512];
    int64_t timestamp_us;
} dx_capture_failure;

typedef struct dx_manifest {
    char device_id[128];
    dx_plugin_info plugin;     /* strings borrowed from the host */
    dxp_device_info info;
    char settings[512];        /* device settings applied, as given */
    int64_t started_us, finished_us;
    int png_compression;
    dx_capture_record *captures;
    size_t n_captures;
    dx_capture_failure *failures;
    size_t n_failures;
    size_t n_requested;
    char **requested;
} dx_manifest;

/* Add a record / failure (copies). */
dx_status dx_manifest_add_capture(dx_manifest *m, const dx_capture_record *r);
dx_status dx_manifest_add_failure(dx_manifest *m, const char *illumination, dx_status status,
                                  const char *message);
void dx_manifest_clear(dx_manifest *m);

/* Serialise to a NUL-terminated JSON text (caller frees). */
char *dx_manifest_to_json(const dx_manifest *m);

/* Write `dir`/capture.json atomically (temp file, fsync, rename). */
dx_status dx_manifest_write(const dx_manifest *m, const char *dir, dx_error *err);

/* Atomically write `len` bytes to dir/name, computing their SHA-256 (hex into
 * sha_hex[65]).  Nothing is left under `name` unless the whole file is there. */
dx_status dx_file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                               char sha_hex[65], dx_error *err);
/* The same without waiting for the disk: the writeback is started, the file
 * and its name are durable only after a later dx_fs_sync() of the directory's
 * file system (one sync for many files instead of two each). */
dx_status dx_file_write_atomic_deferred(const char *dir, const char *name, const void *data, size_t len,
                                        char sha_hex[65], dx_error *err);
/* syncfs() of the file system `dir` is on: every file written before is on
 * the disk when it returns DX_OK. */
dx_status dx_fs_sync(const char *dir, dx_error *err);

/* Microseconds since the Unix epoch, and the ISO 8601 UTC form of such a time
 * ("2026-11-26T20:01:23.123456Z"; out needs 32 bytes). */
int64_t dx_now_us(void);
void dx_time_iso8601(int64_t us, char out[32]);

#endif
