/* The host: settings, data directory, the process-wide default host. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/host_internal.h"

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static dx_host *default_host;

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Directory that holds this libdocex (build tree: <build>/lib). */
static char *find_libdir(void)
{
    Dl_info info;
    char *path, *slash;
    if (!dladdr((void *)&find_libdir, &info) || !info.dli_fname)
        return NULL;
    path = realpath(info.dli_fname, NULL);
    if (!path)
        return NULL;
    slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    return path;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* DOCEX_DATA_DIR, else the installed share/docex relative to the library,
 * else the build tree's <build>/share/docex. */
static char *find_datadir(const char *libdir)
{
    const char *env = getenv("DOCEX_DATA_DIR");
    const char *rel[] = {DOCEX_LIB_TO_DATA, "../share/docex"};
    if (env && *env)
        return dx_strdup(env);
    for (size_t i = 0; libdir && i < sizeof rel / sizeof rel[0]; i++) {
        char *cand = join(libdir, rel[i]);
        char *real = cand ? realpath(cand, NULL) : NULL;
        free(cand);
        if (real && is_dir(real))
            return real;
        free(real);
    }
    return dx_strdup("share/docex");
}

static pthread_once_t datadir_once = PTHREAD_ONCE_INIT;
static char *datadir_global;

static void datadir_init(void)
{
    char *lib = find_libdir();
    datadir_global = find_datadir(lib);
    free(lib);
}

const char *dx_datadir(void)
{
    pthread_once(&datadir_once, datadir_init);
    return datadir_global ? datadir_global : "share/docex";
}

static dx_setting *setting_find(dx_host *host, const char *key)
{
    for (size_t i = 0; i < host->n_settings; i++)
        if (strcmp(host->settings[i].key, key) == 0)
            return &host->settings[i];
    return NULL;
}

static dx_status set_locked(dx_host *host, const char *key, const char *value)
{
    dx_setting *s = setting_find(host, key);
    char *v = dx_strdup(value);
    if (!v)
        return DX_ERR_NO_MEMORY;
    if (s) {
        char **r = realloc(host->retired, (host->n_retired + 1) * sizeof *r);
        if (!r) {
            free(v);
            return DX_ERR_NO_MEMORY;
        }
        host->retired = r;
        r[host->n_retired++] = s->value;
        s->value = v;
        return DX_OK;
    }
    s = realloc(host->settings, (host->n_settings + 1) * sizeof *s);
    if (!s) {
        free(v);
        return DX_ERR_NO_MEMORY;
    }
    host->settings = s;
    s[host->n_settings].key = dx_strdup(key);
    s[host->n_settings].value = v;
    if (!s[host->n_settings].key) {
        free(v);
        return DX_ERR_NO_MEMORY;
    }
    host->n_settings++;
    return DX_OK;
}

dx_status dx_host_set(dx_host *host, const char *key, const char *value)
{
    dx_status st;
    if (!host || !key || !*key || !value)
        return DX_ERR_INVALID_ARG;
    pthread_mutex_lock(&host->lock);
    st = set_locked(host, key, value);
    pthread_mutex_unlock(&host->lock);
    return st;
}

const char *dx_host_get(dx_host *host, const char *key)
{
    dx_setting *s;
    const char *v;
    if (!host || !key)
        return NULL;
    pthread_mutex_lock(&host->lock);
    s = setting_find(host, key);
    v = s ? s->value : NULL; /* replaced values are retired, not freed */
    pthread_mutex_unlock(&host->lock);
    return v;
}

const char *dx_host_datadir(dx_host *host)
{
    return host ? host->datadir : "share/docex";
}

/* "key=value;key=value" — every item must have a '=' and a key. */
dx_status dx_host_settings_parse(dx_host *host, const char *spec, dx_error *err)
{
    char *copy, *item, *save = NULL;
    dx_status st = DX_OK;
    if (!spec || !*spec)
        return DX_OK;
    copy = dx_strdup(spec);
    if (!copy)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    for (item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            st = dx_error_set(err, DX_ERR_INVALID_ARG,
                              "setting \"%s\" is not KEY=VALUE (in \"%s\")", item, spec);
            break;
        }
        *eq = '\0';
        st = dx_host_set(host, item, eq + 1);
        if (st != DX_OK) {
            dx_error_set(err, st, "cannot store setting %s: %s", item, dx_status_str(st));
            break;
        }
    }
    free(copy);
    return st;
}

dx_status dx_host_new(const dx_host_options *opts, dx_host **out, dx_error *err)
{
    dx_host *host;
    dx_status st;
    static const dx_host_options none;
    if (!out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_host_new: no output pointer");
    *out = NULL;
    if (!opts)
        opts = &none;
    host = calloc(1, sizeof *host);
    if (!host)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_init(&host->lock, NULL);
    host->libdir = find_libdir();
    host->datadir = find_datadir(host->libdir);
    if (!host->datadir) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = dx_host_set(host, "docex.datadir", host->datadir)) != DX_OK ||
        (st = dx_host_set(host, "docex.version", DOCEX_VERSION)) != DX_OK) {
        dx_error_set(err, st, "cannot store host settings");
        goto fail;
    }
    if ((st = dx_host_settings_parse(host, getenv("DOCEX_SET"), err)) != DX_OK) {
        if (err) {
            char msg[sizeof err->message];
            memcpy(msg, err->message, sizeof msg);
            dx_error_set(err, st, "DOCEX_SET: %s", msg);
        }
        goto fail;
    }
    if ((st = dx_host_settings_parse(host, opts->settings, err)) != DX_OK)
        goto fail;
    if ((st = dx_loader_load_all(host, opts)) != DX_OK) {
        dx_error_set(err, st, "loading plugins failed: %s", dx_status_str(st));
        goto fail;
    }
    *out = host;
    return DX_OK;
fail:
    dx_host_free(host);
    return st;
}

void dx_host_free(dx_host *host)
{
    if (!host)
        return;
    pthread_mutex_lock(&default_lock);
    if (default_host == host)
        default_host = NULL;
    pthread_mutex_unlock(&default_lock);
    dx_loader_unload_all(host);
    for (size_t i = 0; i < host->n_settings; i++) {
        free(host->settings[i].key);
        free(host->settings[i].value);
    }
    free(host->settings);
    for (size_t i = 0; i < host->n_retired; i++)
        free(host->retired[i]);
    free(host->retired);
    free(host->datadir);
    free(host->libdir);
    pthread_mutex_destroy(&host->lock);
    free(host);
}

dx_host *dx_host_default(dx_error *err)
{
    dx_host *h;
    pthread_mutex_lock(&default_lock);
    if (!default_host)
        dx_host_new(NULL, &default_host, err);
    h = default_host;
    pthread_mutex_unlock(&default_lock);
    return h;
}

dx_status dx_host_set_default(dx_host *host)
{
    dx_status st = DX_OK;
    pthread_mutex_lock(&default_lock);
    if (default_host && default_host != host)
        st = DX_ERR_STATE;
    else
        default_host = host;
    pthread_mutex_unlock(&default_lock);
    return st;
}
