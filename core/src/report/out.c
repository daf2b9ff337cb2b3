/* A report file written atomically: a temporary file in the target's
 * directory, synced and renamed over the target (as dx_file_write_atomic
 * does for whole buffers, but streamed: a report with its images can be
 * large). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report_internal.h"

dx_status dx_report_out_open(dx_report_out *o, const char *path, dx_error *err)
{
    memset(o, 0, sizeof *o);
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *base = slash ? slash + 1 : path;
    if (!path || !*base)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "report: no output file name in \"%s\"",
                            path ? path : "(null)");
    if (!slash)
        snprintf(o->dir, sizeof o->dir, ".");
    else if (slash == path)
        snprintf(o->dir, sizeof o->dir, "/");
    else if ((size_t)(slash - path) >= sizeof o->dir)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "report: output path too long");
    else
        snprintf(o->dir, sizeof o->dir, "%.*s", (int)(slash - path), path);
    if ((size_t)snprintf(o->path, sizeof o->path, "%s", path) >= sizeof o->path ||
        (size_t)snprintf(o->tmp, sizeof o->tmp, "%s/.%s.XXXXXX", o->dir, base) >= sizeof o->tmp)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "report: output path too long: %s", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return dx_error_set(err, DX_ERR_IO, "cannot write %s: cannot create a file in %s: %s",
                            path, o->dir, strerror(e));
    }
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return dx_error_set(err, DX_ERR_NO_MEMORY, "cannot write %s: out of memory", path);
    }
    return DX_OK;
}

dx_status dx_report_out_commit(dx_report_out *o, dx_error *err)
{
    dx_status st = DX_OK;
    if (!o->f)
        return dx_error_set(err, DX_ERR_STATE, "report: %s is not open", o->path);
    int fd = fileno(o->f);
    if (fflush(o->f) != 0 || ferror(o->f)) {
        st = dx_error_set(err, DX_ERR_IO, "writing %s failed: %s", o->path, strerror(errno));
        goto fail;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        st = dx_error_set(err, DX_ERR_IO, "syncing %s failed: %s", o->path, strerror(errno));
        goto fail;
    }
    FILE *f = o->f;
    o->f = NULL;
    if (fclose(f) != 0) {
        st = dx_error_set(err, DX_ERR_IO, "closing %s failed: %s", o->path, strerror(errno));
        goto fail;
    }
    if (rename(o->tmp, o->path) != 0) {
        st = dx_error_set(err, DX_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
        goto fail;
    }
    o->tmp[0] = '\0';
    int dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* makes the rename durable; a failure here loses nothing written */
        close(dfd);
    }
    return DX_OK;
fail:
    dx_report_out_abort(o);
    return st;
}

void dx_report_out_abort(dx_report_out *o)
{
    if (o->f) {
        fclose(o->f);
        o->f = NULL;
    }
    if (o->tmp[0]) {
        unlink(o->tmp);
        o->tmp[0] = '\0';
    }
}
