/* Reading a capture set back from disk: capture.json (with every file's
 * SHA-256 checked against the record) or a scene directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "capture/manifest.h"
#include "host/host_internal.h"
#include "docex/docex.h"
#include "docex/illumination.h"

#define SCENE_MANIFEST "scene.json"

/* A relative file name without a directory part: capture.json is outside
 * input and must not point anywhere else. */
static bool plain_name(const char *s)
{
    return s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static bool illum_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= DX_ILLUM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static dx_status add_entry(dx_capture_set *s, const char *illum, const char *file, uint32_t dpi,
                           const char *sha, dx_error *err)
{
    dx_capture_entry *e = realloc(s->entries, (s->n + 1) * sizeof *e);
    if (!e)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    s->entries = e;
    e = &s->entries[s->n];
    memset(e, 0, sizeof *e);
    snprintf(e->illumination, sizeof e->illumination, "%s", illum);
    if ((size_t)snprintf(e->path, sizeof e->path, "%s/%s", s->dir, file) >= sizeof e->path)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s/%s: path too long", s->dir, file);
    e->dpi = dpi;
    if (sha)
        snprintf(e->sha256, sizeof e->sha256, "%s", sha);
    s->n++;
    return DX_OK;
}

static dx_status load_capture_json(dx_capture_set *s, const char *path, dx_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    dx_status st = DX_OK;
    if (!root)
        return dx_error_set(err, DX_ERR_DATA, "%s:%d:%d: not JSON: %s", path, je.line, je.column,
                            je.text);
    const char *fmt = json_string_value(json_object_get(root, "format"));
    json_t *caps = json_object_get(root, "captures");
    if (!fmt || strcmp(fmt, DX_CAPTURE_FORMAT) != 0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: format: expected \"%s\", found %s", path,
                          DX_CAPTURE_FORMAT, fmt ? fmt : "none");
        goto done;
    }
    if (!json_is_array(caps)) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: captures: expected an array", path);
        goto done;
    }
    size_t i;
    json_t *c;
    json_array_foreach(caps, i, c) {
        const char *name = json_string_value(
            json_object_get(json_object_get(c, "illumination"), "name"));
        const char *file = json_string_value(json_object_get(c, "file"));
        const char *sha = json_string_value(json_object_get(c, "sha256"));
        json_t *dpi = json_object_get(c, "dpi");
        if (!name || !illum_name_ok(name) || !file || !plain_name(file) || !sha ||
            strlen(sha) != 64 || (dpi && !json_is_integer(dpi))) {
            st = dx_error_set(err, DX_ERR_DATA,
                              "%s: captures[%zu]: expected illumination.name, file (a name in "
                              "the set's directory), sha256 (64 hex digits) and dpi",
                              path, i);
            goto done;
        }
        json_int_t d = dpi ? json_integer_value(dpi) : 0;
        if (d < 0 || d > 100000) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: captures[%zu].dpi: %lld is out of range",
                              path, i, (long long)d);
            goto done;
        }
        if (dx_capture_set_find(s, name)) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: captures[%zu]: %s is listed twice", path, i,
                              name);
            goto done;
        }
        if ((st = add_entry(s, name, file, (uint32_t)d, sha, err)))
            goto done;
        char got[65];
        dx_capture_entry *e = &s->entries[s->n - 1];
        if ((st = dx_file_sha256(e->path, got, err)))
            goto done;
        if (strcasecmp(got, sha) != 0) {
            st = dx_error_set(err, DX_ERR_DATA,
                              "%s: SHA-256 %s differs from %s recorded in capture.json: the "
                              "file changed after it was captured",
                              e->path, got, sha);
            goto done;
        }
    }
done:
    json_decref(root);
    return st;
}

static int entry_rank(const char *name)
{
    for (size_t i = 0; i < DX_ILLUM_COUNT; i++)
        if (strcmp(dx_illumination_at(i)->name, name) == 0)
            return (int)i;
    return (int)DX_ILLUM_COUNT;
}

static int entry_cmp(const void *a, const void *b)
{
    const dx_capture_entry *x = a, *y = b;
    int rx = entry_rank(x->illumination), ry = entry_rank(y->illumination);
    return rx != ry ? rx - ry : strcmp(x->illumination, y->illumination);
}

static dx_status load_scene(dx_capture_set *s, const char *path, dx_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    dx_status st = DX_OK;
    if (!root)
        return dx_error_set(err, DX_ERR_DATA, "%s:%d:%d: not JSON: %s", path, je.line, je.column,
                            je.text);
    json_t *dpi = json_object_get(root, "dpi");
    json_int_t d = json_is_integer(dpi) ? json_integer_value(dpi) : -1;
    json_decref(root);
    if (d <= 0 || d > 100000)
        return dx_error_set(err, DX_ERR_DATA, "%s: dpi: expected a positive integer", path);
    DIR *dir = opendir(s->dir);
    if (!dir)
        return dx_error_set(err, DX_ERR_IO, "%s: cannot list: %s", s->dir, strerror(errno));
    struct dirent *ent;
    while ((ent = readdir(dir))) {
        size_t n = strlen(ent->d_name);
        char name[DX_ILLUM_NAME_MAX];
        if (n < 5 || n - 4 >= sizeof name || strcmp(ent->d_name + n - 4, ".png") != 0)
            continue;
        memcpy(name, ent->d_name, n - 4);
        name[n - 4] = '\0';
        if (!illum_name_ok(name))
            continue;
        if ((st = add_entry(s, name, ent->d_name, (uint32_t)d, NULL, err)))
            break;
    }
    closedir(dir);
    if (st == DX_OK)
        qsort(s->entries, s->n, sizeof *s->entries, entry_cmp);
    return st;
}

dx_status dx_capture_set_open(const char *dir, dx_capture_set **out, dx_error *err)
{
    struct stat sb;
    char path[4200];
    dx_status st;
    if (!dir || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "capture set: no directory");
    *out = NULL;
    dx_capture_set *s = calloc(1, sizeof *s);
    if (!s)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    if (stat(dir, &sb) != 0) {
        st = dx_error_set(err, errno == ENOENT ? DX_ERR_NOT_FOUND : DX_ERR_IO,
                          "%s: cannot open: %s", dir, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(s->dir, sizeof s->dir, "%s", dir);
    } else { /* the manifest itself */
        const char *slash = strrchr(dir, '/');
        if (slash)
            snprintf(s->dir, sizeof s->dir, "%.*s", (int)(slash - dir), dir);
        else
            snprintf(s->dir, sizeof s->dir, ".");
    }
    size_t dl = strlen(s->dir);
    while (dl > 1 && s->dir[dl - 1] == '/')
        s->dir[--dl] = '\0';
    const char *base = S_ISDIR(sb.st_mode) ? NULL : (strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir);
    snprintf(path, sizeof path, "%s/%s", s->dir, DX_CAPTURE_MANIFEST);
    if ((!base && access(path, F_OK) == 0) || (base && strcmp(base, DX_CAPTURE_MANIFEST) == 0)) {
        st = load_capture_json(s, path, err);
    } else {
        snprintf(path, sizeof path, "%s/%s", s->dir, SCENE_MANIFEST);
        if ((base && strcmp(base, SCENE_MANIFEST) != 0) || access(path, F_OK) != 0) {
            st = dx_error_set(err, DX_ERR_NOT_FOUND,
                              "%s: not a capture set (no %s) nor a scene (no %s)", dir,
                              DX_CAPTURE_MANIFEST, SCENE_MANIFEST);
            goto fail;
        }
        s->is_scene = true;
        st = load_scene(s, path, err);
    }
    if (st)
        goto fail;
    *out = s;
    return DX_OK;
fail:
    dx_capture_set_close(s);
    return st;
}

void dx_capture_set_close(dx_capture_set *set)
{
    if (!set)
        return;
    free(set->entries);
    free(set);
}

const dx_capture_entry *dx_capture_set_find(const dx_capture_set *set, const char *illumination)
{
    if (!set || !illumination)
        return NULL;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->entries[i].illumination, illumination) == 0)
            return &set->entries[i];
    return NULL;
}

const dx_capture_entry *dx_capture_set_mrz_source(const dx_capture_set *set)
{
    static const char *const order[] = {"ir870", "ir950", "ir730", "white", "coaxial"};
    if (!set || set->n == 0)
        return NULL;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const dx_capture_entry *e = dx_capture_set_find(set, order[i]);
        if (e)
            return e;
    }
    for (size_t i = 0; i < set->n; i++) { /* a vendor light: any reflected one */
        const dx_illumination *il = dx_illumination_find(set->entries[i].illumination);
        if (!il || il->geometry == DX_GEOMETRY_REFLECTED)
            return &set->entries[i];
    }
    return &set->entries[0];
}
