#define _GNU_SOURCE /* syncfs, sync_file_range */
/* capture.json: building, serialising and atomically writing the manifest. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/manifest.h"
#include "host/host_internal.h"

int64_t dx_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void dx_time_iso8601(int64_t us, char out[32])
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    if (us < 0 || !gmtime_r(&secs, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00.000000Z");
        return;
    }
    {
        char tmp[96];
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(us % 1000000));
        dx_strlcpy(out, tmp, 32);
    }
}

dx_status dx_manifest_add_capture(dx_manifest *m, const dx_capture_record *r)
{
    dx_capture_record *grown = realloc(m->captures, (m->n_captures + 1) * sizeof *grown);
    if (!grown)
        return DX_ERR_NO_MEMORY;
    m->captures = grown;
    m->captures[m->n_captures++] = *r;
    return DX_OK;
}

dx_status dx_manifest_add_failure(dx_manifest *m, const char *illumination, dx_status status,
                                  const char *message)
{
    dx_capture_failure *f, *grown = realloc(m->failures, (m->n_failures + 1) * sizeof *grown);
    if (!grown)
        return DX_ERR_NO_MEMORY;
    m->failures = grown;
    f = &m->failures[m->n_failures++];
    memset(f, 0, sizeof *f);
    dx_strlcpy(f->illumination, illumination ? illumination : "", sizeof f->illumination);
    f->status = status;
    dx_strlcpy(f->message, message ? message : "", sizeof f->message);
    f->timestamp_us = dx_now_us();
    return DX_OK;
}

void dx_manifest_clear(dx_manifest *m)
{
    free(m->captures);
    free(m->failures);
    for (size_t i = 0; i < m->n_requested; i++)
        free(m->requested[i]);
    free(m->requested);
    memset(m, 0, sizeof *m);
}

static json_t *time_or_null(int64_t us)
{
    char iso[32];
    if (us <= 0)
        return json_null();
    dx_time_iso8601(us, iso);
    return json_string(iso);
}

char *dx_manifest_to_json(const dx_manifest *m)
{
    json_t *root = json_object(), *dev = json_object(), *caps = json_array(),
           *fails = json_array(), *req = json_array();
    char *text = NULL;
    if (!root || !dev || !caps || !fails || !req)
        goto out;
    json_object_set_new(root, "format", json_string(DX_CAPTURE_FORMAT));
    json_object_set_new(root, "docex_version", json_string(dx_version()));
    json_object_set_new(dev, "id", json_string(m->device_id));
    json_object_set_new(dev, "plugin", json_string(m->plugin.name ? m->plugin.name : ""));
    json_object_set_new(dev, "plugin_version",
                        json_string(m->plugin.version ? m->plugin.version : ""));
    json_object_set_new(dev, "model", json_string(m->info.model));
    json_object_set_new(dev, "vendor", json_string(m->info.vendor));
    json_object_set_new(dev, "serial", json_string(m->info.serial));
    json_object_set_new(dev, "settings", json_string(m->settings));
    json_object_set(root, "device", dev);
    json_object_set_new(root, "started", time_or_null(m->started_us));
    json_object_set_new(root, "finished", time_or_null(m->finished_us));
    json_object_set_new(root, "complete",
                        json_boolean(m->finished_us > 0 && m->n_failures == 0 &&
                                     m->n_captures == m->n_requested));
    for (size_t i = 0; i < m->n_requested; i++)
        json_array_append_new(req, json_string(m->requested[i]));
    json_object_set(root, "requested", req);
    json_object_set_new(root, "png_compression", json_integer(m->png_compression));
    for (size_t i = 0; i < m->n_captures; i++) {
        const dx_capture_record *r = &m->captures[i];
        char iso[32];
        json_t *c = json_object(), *il = json_object(), *band = json_array();
        json_object_set_new(il, "name", json_string(r->illum.name));
        json_array_append_new(band, json_integer(r->illum.band_lo_nm));
        json_array_append_new(band, json_integer(r->illum.band_hi_nm));
        json_object_set_new(il, "band_nm", band);
        json_object_set_new(il, "geometry", json_string(dx_geometry_name(r->illum.geometry)));
        json_object_set_new(il, "standard", json_boolean(r->illum.standard));
        json_object_set_new(c, "illumination", il);
        json_object_set_new(c, "file", json_string(r->file));
        json_object_set_new(c, "media_type", json_string("image/png"));
        json_object_set_new(c, "width", json_integer(r->width));
        json_object_set_new(c, "height", json_integer(r->height));
        json_object_set_new(c, "bit_depth", json_integer(r->bit_depth));
        json_object_set_new(c, "channels", json_integer(r->channels));
        json_object_set_new(c, "pixel_format", json_string(r->pixel_format));
        json_object_set_new(c, "dpi", r->dpi ? json_integer(r->dpi) : json_null());
        dx_time_iso8601(r->timestamp_us, iso);
        json_object_set_new(c, "timestamp", json_string(iso));
        json_object_set_new(c, "host_time", time_or_null(r->host_time_us));
        json_object_set_new(c, "exposure_us",
                            r->exposure_us >= 0 ? json_integer(r->exposure_us) : json_null());
        json_object_set_new(c, "bytes", json_integer((json_int_t)r->bytes));
        json_object_set_new(c, "sha256", json_string(r->sha256));
        json_array_append_new(caps, c);
    }
    json_object_set(root, "captures", caps);
    for (size_t i = 0; i < m->n_failures; i++) {
        const dx_capture_failure *f = &m->failures[i];
        char iso[32];
        json_t *o = json_object();
        json_object_set_new(o, "illumination", json_string(f->illumination));
        json_object_set_new(o, "status", json_string(dx_status_name(f->status)));
        json_object_set_new(o, "message", json_string(f->message));
        dx_time_iso8601(f->timestamp_us, iso);
        json_object_set_new(o, "timestamp", json_string(iso));
        json_array_append_new(fails, o);
    }
    json_object_set(root, "failures", fails);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
out:
    json_decref(req);
    json_decref(fails);
    json_decref(caps);
    json_decref(dev);
    json_decref(root);
    return text;
}

static dx_status write_atomic(const char *dir, const char *name, const void *data, size_t len,
                              char sha_hex[65], bool sync, dx_error *err)
{
    char tmp[4096], final[4096];
    int fd = -1, dfd = -1;
    const unsigned char *p = data;
    size_t left = len;
    dx_status st = DX_OK;

    if ((size_t)snprintf(final, sizeof final, "%s/%s", dir, name) >= sizeof final ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof tmp)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "path too long: %s/%s", dir, name);
    if (sha_hex) {
        dx_sha256_hex(data, len, sha_hex);
        if (!sha_hex[0])
            return dx_error_set(err, DX_ERR_INTERNAL, "SHA-256 of %s failed", final);
    }
    fd = mkstemp(tmp);
    if (fd < 0)
        return dx_error_set(err, DX_ERR_IO, "cannot create a file in %s: %s", dir,
                            strerror(errno));
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            st = dx_error_set(err, DX_ERR_IO, "writing %s failed: %s", final,
                              w < 0 ? strerror(errno) : "short write");
            goto fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || (sync ? fsync(fd) : sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)) != 0) {
        st = dx_error_set(err, DX_ERR_IO, "syncing %s failed: %s", final, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = dx_error_set(err, DX_ERR_IO, "closing %s failed: %s", final, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, final) != 0) {
        st = dx_error_set(err, DX_ERR_IO, "renaming into %s failed: %s", final, strerror(errno));
        goto fail;
    }
    if (!sync)
        return DX_OK;
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd); /* make the rename durable; a failure here loses nothing written */
        close(dfd);
    }
    return DX_OK;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return st;
}

dx_status dx_file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                               char sha_hex[65], dx_error *err)
{
    return write_atomic(dir, name, data, len, sha_hex, true, err);
}

dx_status dx_file_write_atomic_deferred(const char *dir, const char *name, const void *data, size_t len,
                                        char sha_hex[65], dx_error *err)
{
    return write_atomic(dir, name, data, len, sha_hex, false, err);
}

dx_status dx_fs_sync(const char *dir, dx_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dx_error_set(err, DX_ERR_IO, "%s: cannot open: %s", dir, strerror(errno));
    if (syncfs(fd) != 0) {
        int e = errno;
        close(fd);
        return dx_error_set(err, DX_ERR_IO, "%s: writing the files to the disk failed: %s", dir,
                            strerror(e));
    }
    close(fd);
    return DX_OK;
}

dx_status dx_manifest_write(const dx_manifest *m, const char *dir, dx_error *err)
{
    char *text = dx_manifest_to_json(m);
    dx_status st;
    size_t n;
    if (!text)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "cannot serialise %s", DX_CAPTURE_MANIFEST);
    n = strlen(text);
    { /* the file ends in a newline */
        char *withnl = malloc(n + 1);
        if (!withnl) {
            free(text);
            return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        }
        memcpy(withnl, text, n);
        withnl[n] = '\n';
        free(text);
        st = dx_file_write_atomic(dir, DX_CAPTURE_MANIFEST, withnl, n + 1, NULL, err);
        free(withnl);
    }
    return st;
}
