/* The plugin loader: finds plugin files, checks each descriptor before using
 * it, and refuses a bad plugin with one log line naming the file and why —
 * then goes on with the others. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_internal.h"

static void refuse(dx_host *host, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(dx_host *host, const char *path, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    dx_plugin_refusal *r;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    dx_log(DX_CAT_LOADER, DX_LOG_WARNING, "%s: refused: %s", path, reason);
    r = realloc(host->refusals, (host->n_refusals + 1) * sizeof *r);
    if (!r)
        return;
    host->refusals = r;
    r[host->n_refusals].path = dx_strdup(path);
    r[host->n_refusals].reason = dx_strdup(reason);
    host->n_refusals++;
}

/* ---- host services given to plugins ---------------------------------- */

static void svc_log(dxp_host_ctx *ctx, dxp_log_level level, const char *message)
{
    const char *cat = ctx && ctx->plugin ? ctx->plugin->info.name : "plugin";
    if (level < DXP_LOG_ERROR || level > DXP_LOG_TRACE || !message)
        return;
    dx_log(cat, (dx_log_level)level, "%s", message);
}

static int svc_log_enabled(dxp_host_ctx *ctx, dxp_log_level level)
{
    const char *cat = ctx && ctx->plugin ? ctx->plugin->info.name : "plugin";
    return dx_log_enabled(cat, (dx_log_level)level) ? 1 : 0;
}

static dx_status svc_get_setting(dxp_host_ctx *ctx, const char *key, char *buf, size_t size)
{
    dx_host *host = ctx ? ctx->host : NULL;
    dx_status st = DX_ERR_NOT_FOUND;
    if (!host || !key || !buf || size == 0)
        return DX_ERR_INVALID_ARG;
    pthread_mutex_lock(&host->lock);
    for (size_t i = 0; i < host->n_settings; i++) {
        if (strcmp(host->settings[i].key, key) != 0)
            continue;
        st = strlen(host->settings[i].value) < size ? DX_OK : DX_ERR_INVALID_ARG;
        if (st == DX_OK)
            strcpy(buf, host->settings[i].value);
        break;
    }
    pthread_mutex_unlock(&host->lock);
    return st;
}

/* ---- descriptor checks ------------------------------------------------- */

static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* NULL when the descriptor is usable, else what is wrong with it. */
static const char *descriptor_problem(const dxp_plugin *d)
{
    if (!name_ok(d->name))
        return "name missing or not [a-z0-9_-]{1,32}";
    if (!d->version || !*d->version)
        return "version missing";
    if (!d->init || !d->fini || !d->enumerate || !d->open || !d->close || !d->describe)
        return "init, fini, enumerate, open, close and describe are all required";
    if (!d->scanner && !d->camera && !d->chip && !d->light)
        return "no operation table (scanner, camera, chip or light)";
    if (d->scanner && (d->scanner->struct_size < DXP_CAPTURE_OPS_SIZE_1_0 ||
                       !d->scanner->get_frame_format || !d->scanner->capture ||
                       !d->scanner->cancel))
        return "scanner table too small or incomplete";
    if (d->camera && (d->camera->struct_size < DXP_CAPTURE_OPS_SIZE_1_0 ||
                      !d->camera->get_frame_format || !d->camera->capture || !d->camera->cancel))
        return "camera table too small or incomplete";
    if (d->chip && (d->chip->struct_size < DXP_CHIP_OPS_SIZE_1_0 || !d->chip->wait_card ||
                    !d->chip->transmit || !d->chip->release_card || !d->chip->cancel))
        return "chip table too small or incomplete";
    if (d->light && (d->light->struct_size < DXP_LIGHT_OPS_SIZE_1_0 || !d->light->set))
        return "light table too small or incomplete";
    return NULL;
}

static dx_plugin *find_by_name(dx_host *host, const char *name)
{
    for (size_t i = 0; i < host->n_plugins; i++)
        if (strcmp(host->plugins[i]->info.name, name) == 0)
            return host->plugins[i];
    return NULL;
}

static bool already_loaded(dx_host *host, const char *real)
{
    for (size_t i = 0; i < host->n_plugins; i++)
        if (strcmp(host->plugins[i]->path, real) == 0)
            return true;
    for (size_t i = 0; i < host->n_refusals; i++)
        if (host->refusals[i].path && strcmp(host->refusals[i].path, real) == 0)
            return true;
    return false;
}

/* Load one file.  Returns DX_ERR_NO_MEMORY only; every other problem is a
 * refusal that leaves the host as it was. */
static dx_status load_file(dx_host *host, const char *file)
{
    char *real = realpath(file, NULL);
    const char *path = real ? real : file;
    void *dl = NULL;
    dxp_entry_fn entry;
    const dxp_plugin *d;
    const char *problem;
    dx_plugin *p = NULL, *dup, **grown;

    if (real && already_loaded(host, real)) { /* the same file on two paths */
        dx_log(DX_CAT_LOADER, DX_LOG_DEBUG, "%s: already seen, skipped", real);
        free(real);
        return DX_OK;
    }
    dlerror();
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        refuse(host, path, "not a loadable shared object: %s", e ? e : "unknown error");
        goto refused;
    }
    *(void **)&entry = dlsym(dl, DXP_ENTRY_SYMBOL);
    if (!entry) {
        refuse(host, path, "no entry symbol " DXP_ENTRY_SYMBOL);
        goto refused;
    }
    d = entry();
    if (!d) {
        refuse(host, path, "entry returned NULL");
        goto refused;
    }
    /* Only the three leading words are read before the version is known good. */
    if (d->abi_major != DXP_ABI_MAJOR) {
        refuse(host, path, "ABI major %u differs from the host's %u", d->abi_major,
               DXP_ABI_MAJOR);
        goto refused;
    }
    if (d->abi_minor > DXP_ABI_MINOR) {
        refuse(host, path, "ABI minor %u is newer than the host's %u.%u", d->abi_minor,
               DXP_ABI_MAJOR, DXP_ABI_MINOR);
        goto refused;
    }
    if (d->struct_size < DXP_PLUGIN_SIZE_1_0) {
        refuse(host, path, "descriptor struct_size %u is smaller than %zu required by ABI %u.%u",
               d->struct_size, DXP_PLUGIN_SIZE_1_0, DXP_ABI_MAJOR, DXP_ABI_MINOR);
        goto refused;
    }
    if ((problem = descriptor_problem(d)) != NULL) {
        refuse(host, path, "invalid descriptor: %s", problem);
        goto refused;
    }
    if ((dup = find_by_name(host, d->name)) != NULL) {
        refuse(host, path, "duplicate plugin name '%s' (already loaded from %s)", d->name,
               dup->path);
        goto refused;
    }

    grown = realloc(host->plugins, (host->n_plugins + 1) * sizeof *grown);
    if (!grown)
        goto nomem;
    host->plugins = grown;
    p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->path = dx_strdup(path);
    p->svc_ctx = calloc(1, sizeof *p->svc_ctx);
    if (!p->path || !p->svc_ctx) {
        free(p->path);
        free(p->svc_ctx);
        free(p);
        goto nomem;
    }
    p->dl = dl;
    p->desc = d;
    p->info = (dx_plugin_info){
        .name = d->name,
        .version = d->version,
        .vendor = d->vendor ? d->vendor : "",
        .license = d->license ? d->license : "",
        .description = d->description ? d->description : "",
        .path = p->path,
        .abi_major = d->abi_major,
        .abi_minor = d->abi_minor,
        .has_scanner = d->scanner != NULL,
        .has_camera = d->camera != NULL,
        .has_chip = d->chip != NULL,
        .has_light = d->light != NULL,
    };
    p->svc_ctx->host = host;
    p->svc_ctx->plugin = p;
    p->svc_ctx->services = (dxp_host){
        .abi_major = DXP_ABI_MAJOR,
        .abi_minor = DXP_ABI_MINOR,
        .struct_size = sizeof(dxp_host),
        .ctx = p->svc_ctx,
        .log = svc_log,
        .log_enabled = svc_log_enabled,
        .get_setting = svc_get_setting,
    };
    p->serialised = (d->flags & DXP_PLUGIN_FLAG_SERIAL) != 0;
    pthread_mutex_init(&p->serial, NULL);
    pthread_mutex_init(&p->ctx_lock, NULL);
    host->plugins[host->n_plugins++] = p;
    free(real);
    return DX_OK; /* init() runs once every file is loaded (see below) */

nomem:
    dlclose(dl);
    free(real);
    return DX_ERR_NO_MEMORY;
refused:
    if (dl)
        dlclose(dl);
    free(real);
    return DX_OK;
}

static void scan_dir(dx_host *host, const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        dx_log(DX_CAT_LOADER, DX_LOG_DEBUG, "%s: not a readable directory, skipped", dir);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        size_t len = strlen(nm);
        if (len > 3 && strcmp(nm + len - 3, ".so") == 0 && nm[0] != '.') {
            char path[PATH_MAX];
            if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, nm) < sizeof path)
                load_file(host, path);
        }
        free(names[i]);
    }
    free(names);
}

static void scan_list(dx_host *host, const char *list, bool files)
{
    char *copy, *item, *save = NULL;
    if (!list || !*list || !(copy = dx_strdup(list)))
        return;
    for (item = strtok_r(copy, ":", &save); item; item = strtok_r(NULL, ":", &save)) {
        if (files)
            load_file(host, item);
        else
            scan_dir(host, item);
    }
    free(copy);
}

static void plugin_free(dx_plugin *p)
{
    pthread_mutex_destroy(&p->serial);
    pthread_mutex_destroy(&p->ctx_lock);
    dlclose(p->dl);
    free(p->path);
    free(p->svc_ctx);
    free(p);
}

/* Run every loaded plugin's init(); refuse (and drop) those that fail. */
static void init_all(dx_host *host)
{
    size_t kept = 0;
    for (size_t i = 0; i < host->n_plugins; i++) {
        dx_plugin *p = host->plugins[i];
        dx_status st;
        p->ctx = NULL;
        pthread_mutex_lock(&p->ctx_lock);
        st = p->desc->init(&p->svc_ctx->services, &p->ctx);
        pthread_mutex_unlock(&p->ctx_lock);
        if (st != DX_OK) {
            refuse(host, p->path, "init failed: %s", dx_status_str(st));
            plugin_free(p);
            continue;
        }
        dx_log(DX_CAT_LOADER, DX_LOG_INFO, "%s: loaded plugin %s %s", p->path, p->info.name,
               p->info.version);
        host->plugins[kept++] = p;
    }
    host->n_plugins = kept;
}

dx_status dx_loader_load_all(dx_host *host, const dx_host_options *opts)
{
    if (opts->only_files && *opts->only_files) {
        scan_list(host, opts->only_files, true);
    } else {
        char *own = NULL;
        scan_list(host, opts->plugin_path, false);
        scan_list(host, getenv("DOCEX_PLUGIN_PATH"), false);
        if (host->libdir) {
            size_t n = strlen(host->libdir) + sizeof "/" DOCEX_ABI_MAJOR_DIR;
            own = malloc(n);
            if (!own)
                return DX_ERR_NO_MEMORY;
            snprintf(own, n, "%s/%s", host->libdir, DOCEX_ABI_MAJOR_DIR);
            scan_dir(host, own);
            free(own);
        }
    }
    init_all(host);
    return DX_OK;
}

void dx_loader_unload_all(dx_host *host)
{
    for (size_t i = host->n_plugins; i-- > 0;) {
        dx_plugin *p = host->plugins[i];
        pthread_mutex_lock(&p->ctx_lock);
        p->desc->fini(p->ctx);
        pthread_mutex_unlock(&p->ctx_lock);
        plugin_free(p);
    }
    free(host->plugins);
    host->plugins = NULL;
    host->n_plugins = 0;
    for (size_t i = 0; i < host->n_refusals; i++) {
        free((char *)host->refusals[i].path);
        free((char *)host->refusals[i].reason);
    }
    free(host->refusals);
    host->refusals = NULL;
    host->n_refusals = 0;
}

size_t dx_host_plugin_count(const dx_host *host)
{
    return host ? host->n_plugins : 0;
}

const dx_plugin_info *dx_host_plugin_at(const dx_host *host, size_t i)
{
    return host && i < host->n_plugins ? &host->plugins[i]->info : NULL;
}

const dxp_plugin *dx_host_plugin_descriptor(const dx_host *host, size_t i)
{
    return host && i < host->n_plugins ? host->plugins[i]->desc : NULL;
}

size_t dx_host_refusal_count(const dx_host *host)
{
    return host ? host->n_refusals : 0;
}

const dx_plugin_refusal *dx_host_refusal_at(const dx_host *host, size_t i)
{
    return host && i < host->n_refusals ? &host->refusals[i] : NULL;
}
