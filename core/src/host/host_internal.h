/* libdocex internals shared by the host modules (not installed). */
#ifndef DOCEX_HOST_INTERNAL_H
#define DOCEX_HOST_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "docex/docex.h"

/* Log categories of the host's own modules. */
#define DX_CAT_LOADER "loader"
#define DX_CAT_HOST "host"
#define DX_CAT_DEVICE "device"
#define DX_CAT_CAPTURE "capture"

typedef struct dx_setting {
    char *key, *value;
} dx_setting;

/* One loaded plugin; allocated on its own so that it never moves (plugins
 * keep pointers into it through the host services). */
typedef struct dx_plugin {
    dx_plugin_info info;
    char *path;
    void *dl;                   /* dlopen handle */
    const dxp_plugin *desc;
    dxp_plugin_ctx *ctx;
    struct dxp_host_ctx *svc_ctx; /* holds what init() was given */
    pthread_mutex_t ctx_lock;   /* serialises init/enumerate/open/fini */
    pthread_mutex_t serial;     /* held around every call for DXP_PLUGIN_FLAG_SERIAL */
    bool serialised;
    bool warned_many;           /* said once that enumerate() was cut */
} dx_plugin;

/* Heap-allocated per plugin so that the dxp_host a plugin keeps from init()
 * never moves. */
struct dxp_host_ctx {
    dx_host *host;
    dx_plugin *plugin;
    dxp_host services;
};

struct dx_host {
    pthread_mutex_t lock;       /* settings */
    dx_plugin **plugins;
    size_t n_plugins;
    dx_plugin_refusal *refusals;
    size_t n_refusals;
    dx_setting *settings;
    size_t n_settings;
    char **retired;             /* replaced setting values, kept until free so
                                   that dx_host_get() pointers stay valid */
    size_t n_retired;
    char *datadir;
    char *libdir;               /* directory holding libdocex */
};

/* loader.c */
dx_status dx_loader_load_all(dx_host *host, const dx_host_options *opts);
void dx_loader_unload_all(dx_host *host);

/* host.c */
dx_status dx_host_settings_parse(dx_host *host, const char *spec, dx_error *err);

/* util */
char *dx_strdup(const char *s);
/* Replace control characters and invalid UTF-8 with '?', in place. */
void dx_text_sanitize(char *s);
/* Copy src into dst (size bytes, always NUL-terminated); false if truncated. */
bool dx_strlcpy(char *dst, const char *src, size_t size);

/* host/file.c: a regular file opened for reading (a FIFO or device named by
 * outside input is refused, never blocks): NULL with *st and err set. */
FILE *dx_file_open_regular(const char *path, dx_status *st, dx_error *err);
/* The whole of a regular file (at most `max` bytes, else DX_ERR_DATA) in
 * *data (caller frees), its size in *len. */
dx_status dx_file_read(const char *path, size_t max, uint8_t **data, size_t *len, dx_error *err);
/* SHA-256 of a regular file / of bytes, lower-case hex. */
dx_status dx_file_sha256(const char *path, char out[65], dx_error *err);
void dx_sha256_hex(const void *data, size_t len, char out[65]);
/* mkdir -p (mode 0755). */
dx_status dx_mkdir_p(const char *dir, dx_error *err);

#endif
