/* docex plugin-check — the vendor's conformance kit.
 *
 * Loads one plugin file and drives every operation it claims, repeatedly and
 * on the error paths, printing one line per check ("PASS <check>",
 * "FAIL <check>: <why>", or "SKIP <check>: <why>" when the plugin gave no way
 * to exercise it) and a final "N passed, N failed, N skipped".
 *
 * The plugin is not trusted: whatever it hands over (descriptor, device list,
 * describe() tables, names) is checked against the limits and rules of
 * plugin.h before anything beyond it is read, and a breach is a FAIL with the
 * reason, never a crash.
 *
 * Two phases, one after the other (never two live instances of the plugin):
 *   1. through libdocex: a host that loads only this file (the loader's own
 *      checks, then the descriptor, device listing, option handling by the host
 *      and the state rules of dx_device);
 *   2. directly through the descriptor, as a second host would: the file is
 *      dlopen()ed again and init() called with plugin-check's own services, so
 *      that calls the host would pre-validate (unknown illumination, short
 *      buffer, cancel) reach the plugin unfiltered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h> /* isfinite only: the CLI does not link libm */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#define PC_CMD "plugin-check"
#define PC_GUARD 4096u                   /* canary bytes after every frame */
#define PC_MAX_FRAME (512u << 20)        /* larger frames are taken for a bug */
#define PC_CANCEL_DELAY_MS 2000          /* delay_ms set for the cancel check */
#define PC_CANCEL_AFTER_MS 100           /* when the cancel is sent */
#define PC_CANCEL_WAIT_S 10              /* how long a cancelled capture may take */
#define PC_BAD_ILLUM "no_such_light"
#define PC_ENUM_GUARD 4u                 /* device-info slots after enumerate's capacity */
#define PC_SHOW_MAX 48                   /* bytes of plugin text quoted in a message */

/* ---- results ------------------------------------------------------------- */

typedef struct pc_run {
    int passed, failed, skipped;
    int repeat;
    const char *device;   /* --device, or NULL for all */
} pc_run;

/* One check: collects every problem found, printed as one line at the end. */
typedef struct pc_check {
    char name[160];
    char why[1024];
    bool failed;
    bool skipped;   /* not exercised (ignored when it also failed) */
} pc_check;

static void ck_begin(pc_check *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ck_begin(pc_check *ck, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ck->name, sizeof ck->name, fmt, ap);
    va_end(ap);
    ck->why[0] = '\0';
    ck->failed = false;
    ck->skipped = false;
}

static void ck_fail(pc_check *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ck_fail(pc_check *ck, const char *fmt, ...)
{
    size_t len = strlen(ck->why);
    va_list ap;
    if (len + 8 >= sizeof ck->why)
        return;
    if (ck->failed) {
        snprintf(ck->why + len, sizeof ck->why - len, "; ");
        len += 2;
    }
    va_start(ap, fmt);
    vsnprintf(ck->why + len, sizeof ck->why - len, fmt, ap);
    va_end(ap);
    ck->failed = true;
}

/* Mark the check as not exercised, with why and how to exercise it. */
static void ck_skip(pc_check *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ck_skip(pc_check *ck, const char *fmt, ...)
{
    va_list ap;
    if (ck->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(ck->why, sizeof ck->why, fmt, ap);
    va_end(ap);
    ck->skipped = true;
}

/* Returns false when the check failed (a skipped check returns true). */
static bool ck_end(pc_run *run, pc_check *ck)
{
    if (ck->failed) {
        printf("FAIL %s: %s\n", ck->name, ck->why);
        run->failed++;
    } else if (ck->skipped) {
        printf("SKIP %s: %s\n", ck->name, ck->why);
        run->skipped++;
    } else {
        printf("PASS %s\n", ck->name);
        run->passed++;
    }
    fflush(stdout);
    return !ck->failed;
}

/* A check with a single outcome. */
static void pc_result(pc_run *run, bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void pc_result(pc_run *run, bool ok, const char *name, const char *fmt, ...)
{
    pc_check ck;
    ck_begin(&ck, "%s", name);
    if (!ok) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ck.why, sizeof ck.why, fmt, ap);
        va_end(ap);
        ck.failed = true;
    }
    ck_end(run, &ck);
}

static int pc_summary(const pc_run *run)
{
    printf("%d passed, %d failed, %d skipped\n", run->passed, run->failed, run->skipped);
    fflush(stdout);
    return run->failed ? DX_EXIT_FAILED : DX_EXIT_OK;
}

#define ST(s) dx_status_name(s)

/* ---- small helpers ------------------------------------------------------ */

static bool name_ok(const char *s, bool allow_dash)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              (allow_dash && *s == '-')))
            return false;
    }
    return true;
}

/* The name rule of plugin.h for option and illumination names:
 * [a-z0-9_]{1,DXP_NAME_MAX-1}.  Reads at most DXP_NAME_MAX bytes.  NULL when
 * the name is fine, else what is wrong with it. */
static const char *rule_name_problem(const char *s)
{
    size_t n;
    if (!s)
        return "is NULL";
    n = strnlen(s, DXP_NAME_MAX);
    if (n == 0)
        return "is empty";
    if (n >= DXP_NAME_MAX)
        return "is longer than 31 bytes (DXP_NAME_MAX 32)";
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return "does not match [a-z0-9_]{1,31}";
    return NULL;
}

/* Plugin text for a message: quoted, at most `max` bytes of it read, anything
 * but printable ASCII as \xNN, "(null)" for NULL. */
static const char *show(const char *s, size_t max, char *buf, size_t size)
{
    size_t len = 0, n;
    if (!s) {
        snprintf(buf, size, "(null)");
        return buf;
    }
    n = strnlen(s, max);
    if (size < 8) {
        buf[0] = '\0';
        return buf;
    }
    buf[len++] = '"';
    for (size_t i = 0; i < n && len + 6 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[len++] = (char)c;
        else
            len += (size_t)snprintf(buf + len, size - len, "\\x%02x", c);
    }
    if (n == max && len + 5 < size)
        len += (size_t)snprintf(buf + len, size - len, "...");
    buf[len++] = '"';
    buf[len] = '\0';
    return buf;
}

/* NULL when the NUL-terminated text is printable UTF-8 (no control
 * characters, C0, DEL or C1), else what is wrong, in `buf`. */
static const char *text_problem(const char *text, char *buf, size_t size)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; s[i];) {
        unsigned c = s[i], cp, len;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                snprintf(buf, size, "control character 0x%02x at byte %zu", c, i);
                return buf;
            }
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            snprintf(buf, size, "byte 0x%02x at byte %zu is not UTF-8", c, i);
            return buf;
        }
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                snprintf(buf, size, "truncated UTF-8 sequence at byte %zu", i);
                return buf;
            }
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            snprintf(buf, size, "invalid UTF-8 sequence at byte %zu", i);
            return buf;
        }
        if (cp >= 0x80 && cp <= 0x9f) {
            snprintf(buf, size, "control character U+%04X at byte %zu", cp, i);
            return buf;
        }
        i += len;
    }
    return NULL;
}

static bool nonempty(const char *s)
{
    return s && *s;
}

static const char *str_or_null(const char *s)
{
    return s ? s : "(null)";
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static int64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *kind_names(uint32_t kinds, char *buf, size_t size)
{
    static const char *const names[] = {"scanner", "camera", "chip", "light"};
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned b = 0; b < 4; b++)
        if (kinds & (1u << b))
            len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
                                    len ? "+" : "", names[b]);
    if (kinds & ~0xfu)
        snprintf(buf + len, len < size ? size - len : 0, "%s0x%x", len ? "+" : "",
                 kinds & ~0xfu);
    if (!buf[0])
        snprintf(buf, size, "none");
    return buf;
}

static bool format_declared(const dxp_device_desc *dd, dxp_pixel_format f)
{
    for (uint32_t i = 0; i < dd->n_pixel_formats; i++)
        if (dd->pixel_formats[i] == f)
            return true;
    return false;
}

/* Canary byte i of the guard zone. */
static unsigned char canary(size_t i)
{
    return (unsigned char)(0xA5u ^ (i * 29u));
}

static void guard_fill(unsigned char *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g[i] = canary(i);
}

/* Offset of the first changed guard byte, or -1. */
static long guard_changed(const unsigned char *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (g[i] != canary(i))
            return (long)i;
    return -1;
}

static double pc_abs(double x)
{
    return x < 0 ? -x : x;
}

static double pc_max(double a, double b)
{
    return a > b ? a : b;
}

/* Value of an option as text for dx_device_set_option. */
static void value_text(const dxp_option *o, bool max, char *buf, size_t size)
{
    if (o->type == DXP_OPT_INT)
        snprintf(buf, size, "%" PRId64, max ? o->max_i : o->min_i);
    else
        snprintf(buf, size, "%.17g", max ? o->max_f : o->min_f);
}

static bool value_equal(const dxp_value *a, const dxp_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case DXP_OPT_BOOL:
        return (a->i != 0) == (b->i != 0);
    case DXP_OPT_INT:
        return a->i == b->i;
    case DXP_OPT_FLOAT:
        return a->f == b->f || pc_abs(a->f - b->f) <= 1e-9 * pc_max(pc_abs(a->f), pc_abs(b->f));
    default:
        return strncmp(a->s, b->s, sizeof a->s) == 0;
    }
}

static const char *value_show(const dxp_value *v, char *buf, size_t size)
{
    switch (v->type) {
    case DXP_OPT_BOOL:
    case DXP_OPT_INT:
        snprintf(buf, size, "%" PRId64, v->i);
        break;
    case DXP_OPT_FLOAT:
        snprintf(buf, size, "%.17g", v->f);
        break;
    case DXP_OPT_STRING:
    case DXP_OPT_ENUM:
        snprintf(buf, size, "\"%.*s\"", (int)sizeof v->s, v->s);
        break;
    default:
        snprintf(buf, size, "(type %d)", (int)v->type);
    }
    return buf;
}

/* NULL when every count of a device description is within its DXP_MAX_*
 * limit and has its table, else what is wrong (in `buf`).  Nothing but the
 * description itself is read. */
static const char *desc_tables_problem(const dxp_device_desc *dd, char *buf, size_t size)
{
    const struct {
        const char *what;
        uint32_t n, max;
        bool table;
    } t[] = {
        {"n_illuminations", dd->n_illuminations, DXP_MAX_ILLUMINATIONS, dd->illuminations != NULL},
        {"n_resolutions", dd->n_resolutions, DXP_MAX_RESOLUTIONS, dd->resolutions_dpi != NULL},
        {"n_pixel_formats", dd->n_pixel_formats, DXP_MAX_PIXEL_FORMATS, dd->pixel_formats != NULL},
        {"n_options", dd->n_options, DXP_MAX_OPTIONS, dd->options != NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].n > t[i].max) {
            snprintf(buf, size, "%s is %u, more than the limit %u (DXP_MAX_%s)", t[i].what,
                     t[i].n, t[i].max,
                     i == 0 ? "ILLUMINATIONS" : i == 1 ? "RESOLUTIONS" : i == 2 ? "PIXEL_FORMATS"
                                                                        : "OPTIONS");
            return buf;
        }
        if (t[i].n && !t[i].table) {
            snprintf(buf, size, "%s is %u but its table is NULL", t[i].what, t[i].n);
            return buf;
        }
    }
    return NULL;
}

/* ---- phase 1a: the descriptor ------------------------------------------- */

/* Check one operation table of `kind`: its struct_size first, and only then
 * the members (at `member_offs`, function pointers) and the reserved slots.
 * Returns false when it is unusable. */
static bool check_ops_table(pc_check *ck, const char *kind, const void *table, size_t need,
                            const size_t *member_offs, const char *const *member_names,
                            size_t n_members, size_t reserved_off, size_t reserved_size)
{
    uint32_t size;
    bool usable = true;
    memcpy(&size, table, sizeof size);
    if (size < need) {
        ck_fail(ck, "%s ops struct_size %u is smaller than %zu required by ABI 1.0", kind, size,
                need);
        return false;
    }
    for (size_t i = 0; i < n_members; i++) {
        void (*fn)(void);
        memcpy(&fn, (const char *)table + member_offs[i], sizeof fn);
        if (!fn) {
            ck_fail(ck, "%s ops: %s is NULL", kind, member_names[i]);
            usable = false;
        }
    }
    if (!all_zero((const char *)table + reserved_off, reserved_size))
        ck_fail(ck, "%s ops: reserved slots are not zero", kind);
    return usable;
}

/* Returns true when the descriptor is sound enough to call into. */
static bool check_descriptor(pc_run *run, const dxp_plugin *d)
{
    pc_check ck;
    bool usable = true;

    ck_begin(&ck, "descriptor.abi");
    if (d->abi_major != DXP_ABI_MAJOR)
        ck_fail(&ck, "abi_major is %u, expected %u", d->abi_major, DXP_ABI_MAJOR);
    if (d->abi_minor > DXP_ABI_MINOR)
        ck_fail(&ck, "abi_minor %u is newer than %u.%u", d->abi_minor, DXP_ABI_MAJOR,
                DXP_ABI_MINOR);
    if (d->struct_size < DXP_PLUGIN_SIZE_1_0)
        ck_fail(&ck, "struct_size is %u, expected at least %zu (DXP_PLUGIN_SIZE_1_0)",
                d->struct_size, (size_t)DXP_PLUGIN_SIZE_1_0);
    if (d->flags & ~DXP_PLUGIN_FLAG_SERIAL)
        ck_fail(&ck, "flags has unknown bits 0x%x", d->flags & ~DXP_PLUGIN_FLAG_SERIAL);
    if (!ck_end(run, &ck))
        return false; /* nothing else can be read safely */

    ck_begin(&ck, "descriptor.strings");
    if (!name_ok(d->name, true))
        ck_fail(&ck, "name \"%s\" does not match [a-z0-9_-]+", str_or_null(d->name));
    if (!nonempty(d->version))
        ck_fail(&ck, "version is empty");
    if (!nonempty(d->vendor))
        ck_fail(&ck, "vendor is empty");
    if (!nonempty(d->license))
        ck_fail(&ck, "license is empty");
    ck_end(run, &ck);

    ck_begin(&ck, "descriptor.functions");
    {
        const struct {
            const char *name;
            bool present;
        } fns[] = {
            {"init", d->init != NULL},       {"fini", d->fini != NULL},
            {"enumerate", d->enumerate != NULL}, {"open", d->open != NULL},
            {"close", d->close != NULL},     {"describe", d->describe != NULL},
        };
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
            if (!fns[i].present) {
                ck_fail(&ck, "%s is NULL", fns[i].name);
                usable = false;
            }
    }
    ck_end(run, &ck);

    ck_begin(&ck, "descriptor.ops");
    if (!d->scanner && !d->camera && !d->chip && !d->light)
        ck_fail(&ck, "no operation table (scanner, camera, chip, light) is set");
    {
        static const char *const cap_names[] = {"get_frame_format", "capture", "cancel"};
        static const size_t cap_offs[] = {offsetof(dxp_capture_ops, get_frame_format),
                                          offsetof(dxp_capture_ops, capture),
                                          offsetof(dxp_capture_ops, cancel)};
        static const char *const chip_names[] = {"wait_card", "transmit", "release_card",
                                                 "cancel"};
        static const size_t chip_offs[] = {
            offsetof(dxp_chip_ops, wait_card), offsetof(dxp_chip_ops, transmit),
            offsetof(dxp_chip_ops, release_card), offsetof(dxp_chip_ops, cancel)};
        static const char *const light_names[] = {"set"};
        static const size_t light_offs[] = {offsetof(dxp_light_ops, set)};
        const dxp_capture_ops *caps[2] = {d->scanner, d->camera};
        const char *cap_kind[2] = {"scanner", "camera"};
        for (int k = 0; k < 2; k++)
            if (caps[k] &&
                !check_ops_table(&ck, cap_kind[k], caps[k], DXP_CAPTURE_OPS_SIZE_1_0, cap_offs,
                                 cap_names, 3, offsetof(dxp_capture_ops, reserved),
                                 sizeof caps[k]->reserved))
                usable = false;
        if (d->chip && !check_ops_table(&ck, "chip", d->chip, DXP_CHIP_OPS_SIZE_1_0, chip_offs,
                                        chip_names, 4, offsetof(dxp_chip_ops, reserved),
                                        sizeof d->chip->reserved))
            usable = false;
        if (d->light && !check_ops_table(&ck, "light", d->light, DXP_LIGHT_OPS_SIZE_1_0,
                                         light_offs, light_names, 1,
                                         offsetof(dxp_light_ops, reserved),
                                         sizeof d->light->reserved))
            usable = false;
    }
    ck_end(run, &ck);

    ck_begin(&ck, "descriptor.reserved");
    if (!all_zero(d->reserved, sizeof d->reserved))
        ck_fail(&ck, "reserved slots of dxp_plugin are not zero");
    ck_end(run, &ck);
    return usable;
}

/* ---- phase 1b: through the host ---------------------------------------- */

static bool device_selected(const pc_run *run, const char *plugin, const char *local_id)
{
    size_t n;
    if (!run->device)
        return true;
    if (strcmp(run->device, local_id) == 0)
        return true;
    n = strlen(plugin);
    return strncmp(run->device, plugin, n) == 0 && run->device[n] == ':' &&
           strcmp(run->device + n + 1, local_id) == 0;
}

/* set-options: every option to its default, min and max (or each choice). */
static void host_check_set_options(pc_run *run, dx_device *dev, const char *id)
{
    const dxp_device_desc *dd = dx_device_desc(dev);
    pc_check ck;
    dx_error err;
    char text[64];
    dx_status st;

    char why[200];

    ck_begin(&ck, "%s set-options", id);
    if (dd && desc_tables_problem(dd, why, sizeof why)) {
        ck_fail(&ck, "the host opened a device whose description is invalid: %s", why);
        dd = NULL;
    }
    for (uint32_t i = 0; dd && i < dd->n_options; i++) {
        const dxp_option *o = &dd->options[i];
        if (!o->name || !o->default_value)
            continue; /* reported by the option-table check */
        st = dx_device_set_option(dev, o->name, o->default_value, &err);
        if (st != DX_OK)
            ck_fail(&ck, "%s=%s (default) gave %s, expected ok (%s)", o->name, o->default_value,
                    ST(st), err.message);
        if (o->type == DXP_OPT_INT || o->type == DXP_OPT_FLOAT) {
            for (int m = 0; m < 2; m++) {
                value_text(o, m, text, sizeof text);
                st = dx_device_set_option(dev, o->name, text, &err);
                if (st != DX_OK)
                    ck_fail(&ck, "%s=%s (%s) gave %s, expected ok (%s)", o->name, text,
                            m ? "max" : "min", ST(st), err.message);
            }
        } else if (o->type == DXP_OPT_BOOL) {
            for (int m = 0; m < 2; m++) {
                st = dx_device_set_option(dev, o->name, m ? "true" : "false", &err);
                if (st != DX_OK)
                    ck_fail(&ck, "%s=%s gave %s, expected ok (%s)", o->name,
                            m ? "true" : "false", ST(st), err.message);
            }
        } else if (o->type == DXP_OPT_ENUM && o->choices) {
            for (const char *const *c = o->choices; *c; c++) {
                st = dx_device_set_option(dev, o->name, *c, &err);
                if (st != DX_OK)
                    ck_fail(&ck, "%s=%s (choice) gave %s, expected ok (%s)", o->name, *c,
                            ST(st), err.message);
            }
        }
        st = dx_device_set_option(dev, o->name, o->default_value, &err);
        if (st != DX_OK)
            ck_fail(&ck, "restoring %s=%s gave %s", o->name, o->default_value, ST(st));
    }
    ck_end(run, &ck);
}

typedef struct pc_bad_value {
    const char *value;
    const char *what;
} pc_bad_value;

/* bad-option-values: unknown names, wrong types and out-of-range values. */
static void host_check_bad_options(pc_run *run, dx_device *dev, const char *id)
{
    const dxp_device_desc *dd = dx_device_desc(dev);
    pc_check ck;
    dx_error err;
    char text[80];
    dx_status st;

    char why[200];

    ck_begin(&ck, "%s bad-option-values", id);
    if (dd && desc_tables_problem(dd, why, sizeof why)) {
        ck_fail(&ck, "the host opened a device whose description is invalid: %s", why);
        dd = NULL;
    }
    st = dx_device_set_option(dev, "no_such_option", "1", &err);
    if (st != DX_ERR_NOT_FOUND && st != DX_ERR_INVALID_ARG)
        ck_fail(&ck, "unknown option no_such_option=1 gave %s, expected not_found", ST(st));
    for (uint32_t i = 0; dd && i < dd->n_options; i++) {
        const dxp_option *o = &dd->options[i];
        pc_bad_value bad[3];
        char lo[64], hi[64];
        int n = 0;
        if (!o->name)
            continue;
        switch (o->type) {
        case DXP_OPT_INT:
            bad[n++] = (pc_bad_value){"not_a_number", "wrong type"};
            if (o->max_i < INT64_MAX) {
                snprintf(hi, sizeof hi, "%" PRId64, o->max_i + 1);
                bad[n++] = (pc_bad_value){hi, "above max"};
            }
            if (o->min_i > INT64_MIN) {
                snprintf(lo, sizeof lo, "%" PRId64, o->min_i - 1);
                bad[n++] = (pc_bad_value){lo, "below min"};
            }
            break;
        case DXP_OPT_FLOAT:
            bad[n++] = (pc_bad_value){"not_a_number", "wrong type"};
            if (isfinite(o->max_f) && o->max_f < 1e300) {
                snprintf(hi, sizeof hi, "%.17g", o->max_f + pc_max(1.0, pc_abs(o->max_f)));
                bad[n++] = (pc_bad_value){hi, "above max"};
            }
            if (isfinite(o->min_f) && o->min_f > -1e300) {
                snprintf(lo, sizeof lo, "%.17g", o->min_f - pc_max(1.0, pc_abs(o->min_f)));
                bad[n++] = (pc_bad_value){lo, "below min"};
            }
            break;
        case DXP_OPT_BOOL:
            bad[n++] = (pc_bad_value){"maybe_not", "wrong type"};
            break;
        case DXP_OPT_ENUM:
            bad[n++] = (pc_bad_value){"no_such_choice", "not a choice"};
            break;
        default:
            break;
        }
        for (int k = 0; k < n; k++) {
            st = dx_device_set_option(dev, o->name, bad[k].value, &err);
            if (st != DX_ERR_INVALID_ARG)
                ck_fail(&ck, "%s=%s (%s) gave %s, expected invalid_arg", o->name, bad[k].value,
                        bad[k].what, ST(st));
        }
        snprintf(text, sizeof text, "%s", o->default_value ? o->default_value : "");
        if (o->default_value)
            dx_device_set_option(dev, o->name, text, &err);
    }
    ck_end(run, &ck);
}

/* closed-device: every call on a closed dx_device returns DX_ERR_STATE. */
static void host_check_closed(pc_run *run, dx_host *host, const char *id)
{
    dx_device *dev = NULL;
    dx_error err;
    pc_check ck;
    char illum[DX_ILLUM_NAME_MAX] = "white";
    bool can_capture;
    dx_status st;

    ck_begin(&ck, "%s closed-device", id);
    st = dx_device_open(host, id, &dev, &err);
    if (st != DX_OK) {
        ck_fail(&ck, "dx_device_open gave %s (%s)", ST(st), err.message);
        ck_end(run, &ck);
        return;
    }
    can_capture = dx_device_can_capture(dev);
    if (dx_device_illumination_count(dev) > 0)
        snprintf(illum, sizeof illum, "%s", dx_device_illumination_at(dev, 0)->name);
    dx_device_close(dev);
    if (can_capture) {
        unsigned char buf[64];
        dxp_frame_format fmt;
        dxp_frame_meta meta;
        st = dx_device_frame_format(dev, illum, &fmt, &err);
        if (st != DX_ERR_STATE)
            ck_fail(&ck, "frame format after close gave %s, expected state", ST(st));
        st = dx_device_capture(dev, illum, buf, sizeof buf, &meta, &err);
        if (st != DX_ERR_STATE)
            ck_fail(&ck, "capture after close gave %s, expected state", ST(st));
    }
    st = dx_device_set_option(dev, "no_such_option", "1", &err);
    if (st != DX_ERR_STATE)
        ck_fail(&ck, "set option after close gave %s, expected state", ST(st));
    dx_device_free(dev);
    ck_end(run, &ck);
}

/* Phase 1: returns false when the plugin did not load. */
static bool host_phase(pc_run *run, const char *path, const char *settings, char *datadir,
                       size_t datadir_size, bool *usable)
{
    dx_host_options opts = {.plugin_path = NULL, .only_files = path, .settings = settings};
    dx_host *host = NULL;
    dx_error err = {0};
    dx_device_entry *list = NULL;
    size_t n_list = 0;
    const dx_plugin_info *info;
    dx_status st;
    pc_check ck;

    st = dx_host_new(&opts, &host, &err);
    if (st != DX_OK) {
        pc_result(run, false, "load", "%s", err.message);
        return false;
    }
    if (dx_host_plugin_count(host) == 0) {
        if (dx_host_refusal_count(host) > 0)
            pc_result(run, false, "load", "%s", dx_host_refusal_at(host, 0)->reason);
        else
            pc_result(run, false, "load", "no plugin loaded from %s", path);
        dx_host_free(host);
        return false;
    }
    info = dx_host_plugin_at(host, 0);
    pc_result(run, true, "load", "-");
    snprintf(datadir, datadir_size, "%s", dx_host_datadir(host));

    *usable = check_descriptor(run, dx_host_plugin_descriptor(host, 0));
    if (!*usable)
        goto done;

    /* What the host lists for this plugin. */
    st = dx_host_list_devices(host, &list, &n_list, &err);
    ck_begin(&ck, "host.list-devices");
    if (st != DX_OK)
        ck_fail(&ck, "dx_host_list_devices gave %s (%s)", ST(st), err.message);
    ck_end(run, &ck);

    for (size_t i = 0; i < n_list; i++) {
        dx_device *dev = NULL;
        const char *id = list[i].id;
        if (strcmp(list[i].plugin, info->name) != 0 ||
            !device_selected(run, info->name, list[i].info.id))
            continue;
        st = dx_device_open(host, id, &dev, &err);
        ck_begin(&ck, "%s host-open", id);
        if (st != DX_OK)
            ck_fail(&ck, "dx_device_open gave %s (%s)", ST(st), err.message);
        ck_end(run, &ck);
        if (st != DX_OK)
            continue;
        host_check_set_options(run, dev, id);
        host_check_bad_options(run, dev, id);
        dx_device_free(dev);
        host_check_closed(run, host, id);
    }
    free(list);
done:
    dx_host_free(host);
    return true;
}

/* ---- phase 2: directly through the descriptor -------------------------- */

typedef struct pc_setting {
    char *key, *value;
} pc_setting;

struct dxp_host_ctx {
    const char *plugin;
    pc_setting *settings;
    size_t n_settings;
    const char *datadir;
};

static void svc_log(dxp_host_ctx *ctx, dxp_log_level level, const char *message)
{
    if (level < DXP_LOG_ERROR || level > DXP_LOG_TRACE)
        level = DXP_LOG_ERROR; /* an unknown level is not dropped */
    /* bounded: the plugin's text is not trusted to be terminated */
    dx_log(ctx->plugin, (dx_log_level)level, "%.1024s", message ? message : "(null)");
}

static int svc_log_enabled(dxp_host_ctx *ctx, dxp_log_level level)
{
    return dx_log_enabled(ctx->plugin, (dx_log_level)level) ? 1 : 0;
}

static dx_status svc_get_setting(dxp_host_ctx *ctx, const char *key, char *buf, size_t size)
{
    const char *value = NULL;
    if (!key || !buf || !size)
        return DX_ERR_INVALID_ARG;
    for (size_t i = 0; i < ctx->n_settings; i++)
        if (strcmp(ctx->settings[i].key, key) == 0)
            value = ctx->settings[i].value; /* the last one wins */
    if (!value && strcmp(key, "docex.datadir") == 0)
        value = ctx->datadir;
    if (!value && strcmp(key, "docex.version") == 0)
        value = dx_version();
    if (!value)
        return DX_ERR_NOT_FOUND;
    if (strlen(value) >= size)
        return DX_ERR_INVALID_ARG;
    memcpy(buf, value, strlen(value) + 1);
    return DX_OK;
}

/* Add "k=v;k=v" to the settings list. */
static void settings_add(dxp_host_ctx *ctx, const char *spec)
{
    char *copy, *save = NULL;
    if (!spec || !*spec)
        return;
    copy = strdup(spec);
    if (!copy)
        return;
    for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(item, '=');
        pc_setting *s;
        if (!eq || eq == item)
            continue;
        *eq = '\0';
        s = realloc(ctx->settings, (ctx->n_settings + 1) * sizeof *s);
        if (!s)
            break;
        ctx->settings = s;
        s[ctx->n_settings].key = strdup(item);
        s[ctx->n_settings].value = strdup(eq + 1);
        if (!s[ctx->n_settings].key || !s[ctx->n_settings].value) {
            free(s[ctx->n_settings].key);
            free(s[ctx->n_settings].value);
            break;
        }
        ctx->n_settings++;
    }
    free(copy);
}

static void settings_free(dxp_host_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_settings; i++) {
        free(ctx->settings[i].key);
        free(ctx->settings[i].value);
    }
    free(ctx->settings);
    ctx->settings = NULL;
    ctx->n_settings = 0;
}

/* A capture running on its own thread (the cancel check). */
typedef struct pc_async {
    const dxp_capture_ops *ops;
    dxp_device *dev;
    const char *illum;
    void *buf;
    size_t size;
    dxp_frame_meta meta;
    dx_status status;
    bool done;
    int64_t done_us;      /* when capture() returned */
    pthread_mutex_t lock;
    pthread_cond_t cond;
} pc_async;

static void *async_capture(void *arg)
{
    pc_async *a = arg;
    dx_status st = a->ops->capture(a->dev, a->illum, a->buf, a->size, &a->meta);
    int64_t t = now_us();
    pthread_mutex_lock(&a->lock);
    a->status = st;
    a->done = true;
    a->done_us = t;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* Everything the direct checks of one open device need. */
typedef struct pc_dev {
    const dxp_plugin *d;
    dxp_device *dev;
    const char *id;                 /* "<plugin>:<local id>" */
    dxp_device_desc desc;
    const dxp_capture_ops *cap;     /* scanner or camera ops, or NULL */
    const char **illums;            /* names to capture under */
    size_t n_illums;
    size_t max_frame;               /* largest stride*height seen */
} pc_dev;

static const dxp_option *find_option(const pc_dev *pd, const char *name, dxp_option_type type)
{
    for (uint32_t i = 0; i < pd->desc.n_options; i++)
        if (pd->desc.options[i].name &&
            strncmp(pd->desc.options[i].name, name, DXP_NAME_MAX) == 0 &&
            pd->desc.options[i].type == type)
            return &pd->desc.options[i];
    return NULL;
}

/* describe, illuminations, pixel formats.  Returns false when the tables
 * cannot be read safely (nothing more is checked on the device then). */
static bool direct_check_describe(pc_run *run, pc_dev *pd, uint32_t enum_kinds)
{
    const dxp_plugin *d = pd->d;
    pc_check ck;
    char k1[64], k2[64], why[200], n1[PC_SHOW_MAX * 4 + 8];
    dx_status st;

    memset(&pd->desc, 0, sizeof pd->desc);
    pd->desc.struct_size = sizeof pd->desc;
    ck_begin(&ck, "%s describe", pd->id);
    st = d->describe(pd->dev, &pd->desc);
    if (st != DX_OK) {
        ck_fail(&ck, "describe gave %s, expected ok", ST(st));
        ck_end(run, &ck);
        return false;
    }
    if (desc_tables_problem(&pd->desc, why, sizeof why)) {
        ck_fail(&ck, "%s", why);
        ck_end(run, &ck);
        return false;
    }
    if (pd->desc.struct_size != sizeof pd->desc)
        ck_fail(&ck, "describe changed struct_size from %zu to %u (it is the host's)",
                sizeof pd->desc, pd->desc.struct_size);
    if (pd->desc.kinds != enum_kinds)
        ck_fail(&ck, "kinds %s differ from enumerate's %s",
                kind_names(pd->desc.kinds, k1, sizeof k1), kind_names(enum_kinds, k2, sizeof k2));
    if (!all_zero(pd->desc.reserved, sizeof pd->desc.reserved))
        ck_fail(&ck, "describe wrote to the reserved slots of dxp_device_desc");
    if (pd->desc.n_options && (!d->set_option || !d->get_option))
        ck_fail(&ck, "the device has options but set_option or get_option is NULL");
    ck_end(run, &ck);

    ck_begin(&ck, "%s illuminations", pd->id);
    if ((pd->desc.kinds & (DXP_KIND_SCANNER | DXP_KIND_LIGHT)) && pd->desc.n_illuminations == 0)
        ck_fail(&ck, "a scanner or light device offers no illumination");
    for (uint32_t i = 0; i < pd->desc.n_illuminations; i++) {
        const dxp_illumination *il = &pd->desc.illuminations[i];
        const char *bad = rule_name_problem(il->name);
        const dx_illumination *std;
        if (!all_zero(il->reserved, sizeof il->reserved))
            ck_fail(&ck, "illumination %u %s: reserved fields are not zero", i,
                    show(il->name, PC_SHOW_MAX, n1, sizeof n1));
        if (bad) {
            if (il->name)
                ck_fail(&ck, "illumination %u: name %s %s", i,
                        show(il->name, PC_SHOW_MAX, n1, sizeof n1), bad);
            else
                ck_fail(&ck, "illumination %u: name is NULL", i);
            continue;
        }
        for (uint32_t j = 0; j < i; j++)
            if (!rule_name_problem(pd->desc.illuminations[j].name) &&
                strcmp(pd->desc.illuminations[j].name, il->name) == 0) {
                ck_fail(&ck, "illumination \"%s\" is listed twice (duplicate name, %u and %u)",
                        il->name, j, i);
                break;
            }
        std = dx_illumination_find(il->name);
        if (std) {
            bool zero = il->band_lo_nm == 0 && il->band_hi_nm == 0 &&
                        il->geometry == DX_GEOMETRY_REFLECTED;
            bool same = il->band_lo_nm == std->band_lo_nm && il->band_hi_nm == std->band_hi_nm &&
                        il->geometry == std->geometry;
            bool zero_band = il->band_lo_nm == 0 && il->band_hi_nm == 0 &&
                             il->geometry == std->geometry;
            if (!zero && !same && !zero_band)
                ck_fail(&ck, "standard illumination \"%s\" gives %u-%u nm %s, expected %u-%u nm %s "
                        "or 0s", il->name, il->band_lo_nm, il->band_hi_nm,
                        dx_geometry_name(il->geometry), std->band_lo_nm, std->band_hi_nm,
                        dx_geometry_name(std->geometry));
        } else {
            if (il->band_hi_nm == 0 || il->band_lo_nm > il->band_hi_nm)
                ck_fail(&ck, "vendor illumination \"%s\" gives band %u-%u nm, expected lo <= hi, "
                        "hi > 0", il->name, il->band_lo_nm, il->band_hi_nm);
            if ((unsigned)il->geometry > DX_GEOMETRY_COAXIAL)
                ck_fail(&ck, "vendor illumination \"%s\" has unknown geometry %d", il->name,
                        (int)il->geometry);
        }
    }
    ck_end(run, &ck);

    ck_begin(&ck, "%s pixel-formats", pd->id);
    if (pd->cap && pd->desc.n_pixel_formats == 0)
        ck_fail(&ck, "no pixel format declared");
    for (uint32_t i = 0; i < pd->desc.n_pixel_formats; i++) {
        if (dxp_pixel_size(pd->desc.pixel_formats[i]) == 0)
            ck_fail(&ck, "pixel format %d (entry %u) is not a dxp_pixel_format",
                    (int)pd->desc.pixel_formats[i], i);
        for (uint32_t j = 0; j < i; j++)
            if (pd->desc.pixel_formats[j] == pd->desc.pixel_formats[i]) {
                ck_fail(&ck, "pixel format %d is listed twice", (int)pd->desc.pixel_formats[i]);
                break;
            }
    }
    for (uint32_t i = 0; i < pd->desc.n_resolutions; i++)
        if (pd->desc.resolutions_dpi[i] == 0)
            ck_fail(&ck, "resolution %u is 0 dpi", i);
    if (pd->cap || ck.failed) /* a device that does not capture: only a failure */
        ck_end(run, &ck);
    return true;
}

/* Option table, and get_option round trips through the plugin. */
static void direct_check_options(pc_run *run, pc_dev *pd)
{
    const dxp_plugin *d = pd->d;
    pc_check ck;
    dx_error err;
    bool table_ok;
    char n1[PC_SHOW_MAX * 4 + 8], n2[PC_SHOW_MAX * 4 + 8];

    ck_begin(&ck, "%s option-table", pd->id);
    for (uint32_t i = 0; i < pd->desc.n_options; i++) {
        const dxp_option *o = &pd->desc.options[i];
        const char *bad = rule_name_problem(o->name);
        const char *nm;
        dxp_value v;
        if (!all_zero(o->reserved, sizeof o->reserved))
            ck_fail(&ck, "option %u %s: reserved fields are not zero", i,
                    show(o->name, PC_SHOW_MAX, n1, sizeof n1));
        if (bad) {
            if (o->name)
                ck_fail(&ck, "option %u: name %s %s", i, show(o->name, PC_SHOW_MAX, n1, sizeof n1),
                        bad);
            else
                ck_fail(&ck, "option %u: name is NULL", i);
            continue;
        }
        nm = o->name;
        for (uint32_t j = 0; j < i; j++)
            if (!rule_name_problem(pd->desc.options[j].name) &&
                strcmp(nm, pd->desc.options[j].name) == 0) {
                ck_fail(&ck, "option \"%s\" is listed twice (duplicate name, %u and %u)", nm, j,
                        i);
                break;
            }
        if (o->type < DXP_OPT_BOOL || o->type > DXP_OPT_ENUM) {
            ck_fail(&ck, "option \"%s\": unknown type %d", nm, (int)o->type);
            continue;
        }
        if ((unsigned)o->unit > DXP_UNIT_COUNT)
            ck_fail(&ck, "option \"%s\": unknown unit %d", nm, (int)o->unit);
        if (o->type == DXP_OPT_INT && o->min_i > o->max_i)
            ck_fail(&ck, "option \"%s\": min %" PRId64 " > max %" PRId64, nm, o->min_i, o->max_i);
        if (o->type == DXP_OPT_FLOAT && !(o->min_f <= o->max_f))
            ck_fail(&ck, "option \"%s\": min %g > max %g", nm, o->min_f, o->max_f);
        if (o->type == DXP_OPT_ENUM) {
            uint32_t n = 0;
            bool choices_ok = true;
            if (!o->choices || !o->choices[0]) {
                ck_fail(&ck, "option \"%s\": ENUM with no choices (choices is %s)", nm,
                        o->choices ? "an empty list" : "NULL");
                continue;
            }
            for (; n <= DXP_MAX_CHOICES && o->choices[n]; n++) {
                size_t len = strnlen(o->choices[n], DXP_VALUE_TEXT_MAX);
                if (len == 0 || len >= DXP_VALUE_TEXT_MAX) {
                    ck_fail(&ck, "option \"%s\": choice %u is %s", nm, n,
                            len ? "longer than DXP_VALUE_TEXT_MAX-1 bytes" : "empty");
                    choices_ok = false;
                }
                for (uint32_t j = 0; choices_ok && j < n; j++)
                    if (strcmp(o->choices[j], o->choices[n]) == 0) {
                        ck_fail(&ck, "option \"%s\": choice %s is listed twice", nm,
                                show(o->choices[n], PC_SHOW_MAX, n2, sizeof n2));
                        break;
                    }
            }
            if (n > DXP_MAX_CHOICES) {
                ck_fail(&ck, "option \"%s\": more than %d choices (DXP_MAX_CHOICES), or the list "
                        "is not NULL-terminated", nm, DXP_MAX_CHOICES);
                continue;
            }
            if (!choices_ok)
                continue;
        }
        if (!o->default_value) {
            ck_fail(&ck, "option \"%s\": no default", nm);
            continue;
        }
        if (strnlen(o->default_value, DXP_VALUE_TEXT_MAX) >= DXP_VALUE_TEXT_MAX) {
            ck_fail(&ck, "option \"%s\": default is longer than %d bytes", nm,
                    DXP_VALUE_TEXT_MAX - 1);
            continue;
        }
        if (dx_option_parse(o, o->default_value, &v, &err) != DX_OK)
            ck_fail(&ck, "option \"%s\": default \"%s\" does not parse (%s)", nm, o->default_value,
                    err.message);
    }
    table_ok = ck_end(run, &ck);
    if (!pd->desc.n_options || !d->set_option || !d->get_option)
        return;

    ck_begin(&ck, "%s get-option", pd->id);
    if (!table_ok) {
        ck_skip(&ck, "not run: the option table is invalid (see option-table)");
        ck_end(run, &ck);
        return;
    }
    for (uint32_t i = 0; i < pd->desc.n_options; i++) {
        const dxp_option *o = &pd->desc.options[i];
        const char *texts[3] = {o->default_value, NULL, NULL};
        char lo[64], hi[64];
        if (o->type == DXP_OPT_INT || o->type == DXP_OPT_FLOAT) {
            value_text(o, false, lo, sizeof lo);
            value_text(o, true, hi, sizeof hi);
            texts[1] = lo;
            texts[2] = hi;
        }
        dxp_value saved;
        bool have_saved;
        memset(&saved, 0, sizeof saved);
        have_saved = d->get_option(pd->dev, o->name, &saved) == DX_OK;
        if (!have_saved)
            ck_fail(&ck, "get_option(%s) before any set gave an error", o->name);
        for (int k = 0; k < 3; k++) {
            dxp_value want, got;
            char a[300], b[300];
            dx_status st;
            if (!texts[k] || dx_option_parse(o, texts[k], &want, &err) != DX_OK)
                continue;
            st = d->set_option(pd->dev, o->name, &want);
            if (st != DX_OK) {
                ck_fail(&ck, "set_option(%s=%s) gave %s, expected ok", o->name, texts[k], ST(st));
                continue;
            }
            memset(&got, 0, sizeof got);
            st = d->get_option(pd->dev, o->name, &got);
            if (st != DX_OK)
                ck_fail(&ck, "get_option(%s) gave %s, expected ok", o->name, ST(st));
            else if (!value_equal(&want, &got))
                ck_fail(&ck, "get_option(%s) gave %s after setting %s", o->name,
                        value_show(&got, a, sizeof a), value_show(&want, b, sizeof b));
        }
        /* back to the value the device started with */
        if (have_saved) {
            dx_status st = d->set_option(pd->dev, o->name, &saved);
            if (st != DX_OK)
                ck_fail(&ck, "set_option(%s) back to the value get_option gave: %s", o->name,
                        ST(st));
        }
    }
    {
        dxp_value v;
        dx_status st = d->get_option(pd->dev, "no_such_option", &v);
        if (st != DX_ERR_NOT_FOUND)
            ck_fail(&ck, "get_option(no_such_option) gave %s, expected not_found", ST(st));
    }
    ck_end(run, &ck);
}

/* Frame format under `illum`, checked; returns false (and fails ck) when bad. */
static bool get_format(pc_check *ck, pc_dev *pd, const char *illum, dxp_frame_format *fmt)
{
    dx_status st;
    uint32_t bpp;
    memset(fmt, 0, sizeof *fmt);
    st = pd->cap->get_frame_format(pd->dev, illum, fmt);
    if (st != DX_OK) {
        ck_fail(ck, "get_frame_format(%s) gave %s, expected ok", illum, ST(st));
        return false;
    }
    bpp = dxp_pixel_size(fmt->format);
    if (!bpp) {
        ck_fail(ck, "format %d is not a dxp_pixel_format", (int)fmt->format);
        return false;
    }
    if (!format_declared(&pd->desc, fmt->format))
        ck_fail(ck, "format %d is not among the pixel formats describe() declared",
                (int)fmt->format);
    if (fmt->width == 0 || fmt->height == 0) {
        ck_fail(ck, "frame is %ux%u, expected width and height > 0", fmt->width, fmt->height);
        return false;
    }
    if ((uint64_t)fmt->stride < (uint64_t)fmt->width * bpp) {
        ck_fail(ck, "stride %u < width %u * %u bytes per pixel", fmt->stride, fmt->width, bpp);
        return false;
    }
    if ((uint64_t)fmt->stride * fmt->height > PC_MAX_FRAME) {
        ck_fail(ck, "frame of %" PRIu64 " bytes is larger than %u",
                (uint64_t)fmt->stride * fmt->height, PC_MAX_FRAME);
        return false;
    }
    return true;
}

/* One illumination: format, N captures into a guarded buffer, metadata. */
static void direct_check_illumination(pc_run *run, pc_dev *pd, const char *illum)
{
    pc_check ck_fmt, ck_cap, ck_guard, ck_meta;
    dxp_frame_format fmt, again;
    unsigned char *buf = NULL;
    size_t frame;
    int64_t t0 = now_us();

    ck_begin(&ck_fmt, "%s frame-format[%s]", pd->id, illum);
    if (!get_format(&ck_fmt, pd, illum, &fmt)) {
        ck_end(run, &ck_fmt);
        return;
    }
    ck_end(run, &ck_fmt);
    frame = (size_t)fmt.stride * fmt.height;
    if (frame > pd->max_frame)
        pd->max_frame = frame;
    buf = malloc(frame + PC_GUARD);
    if (!buf) {
        pc_result(run, false, "capture", "out of memory for a %zu-byte frame", frame);
        return;
    }

    ck_begin(&ck_cap, "%s capture[%s]", pd->id, illum);
    ck_begin(&ck_guard, "%s capture.guard[%s]", pd->id, illum);
    ck_begin(&ck_meta, "%s capture.meta[%s]", pd->id, illum);
    for (int n = 0; n < run->repeat; n++) {
        dxp_frame_meta meta;
        dx_status st;
        long off;
        if (n > 0) {
            pc_check tmp;
            ck_begin(&tmp, "-");
            if (!get_format(&tmp, pd, illum, &again)) {
                ck_fail(&ck_cap, "capture %d: %s", n + 1, tmp.why);
                break;
            }
            if (memcmp(&again, &fmt, offsetof(dxp_frame_format, reserved)) != 0) {
                ck_fail(&ck_cap, "capture %d: format changed from %ux%u stride %u to %ux%u "
                        "stride %u with no option changed", n + 1, fmt.width, fmt.height,
                        fmt.stride, again.width, again.height, again.stride);
                break;
            }
        }
        memset(buf, 0, frame);
        guard_fill(buf + frame, PC_GUARD);
        memset(&meta, 0, sizeof meta);
        st = pd->cap->capture(pd->dev, illum, buf, frame, &meta);
        off = guard_changed(buf + frame, PC_GUARD);
        if (off >= 0 && !ck_guard.failed)
            ck_fail(&ck_guard, "capture %d wrote past stride*height (%u*%u = %zu bytes): guard "
                    "byte at +%ld changed", n + 1, fmt.stride, fmt.height, frame, off);
        if (st != DX_OK) {
            ck_fail(&ck_cap, "capture %d of %d gave %s, expected ok", n + 1, run->repeat, ST(st));
            break;
        }
        if (!ck_meta.failed) {
            int64_t now = now_us();
            if (meta.timestamp_us <= 0)
                ck_fail(&ck_meta, "timestamp_us is %" PRId64 ", expected > 0", meta.timestamp_us);
            else if (meta.timestamp_us > now + 86400LL * 1000000 ||
                     meta.timestamp_us < t0 - 86400LL * 1000000)
                ck_fail(&ck_meta, "timestamp_us %" PRId64 " is more than a day from now (%" PRId64
                        ")", meta.timestamp_us, now);
        }
    }
    if (ck_cap.failed && !ck_guard.failed)
        ck_fail(&ck_guard, "not run: capture failed");
    ck_end(run, &ck_cap);
    ck_end(run, &ck_guard);
    if (!ck_cap.failed)
        ck_end(run, &ck_meta);
    free(buf);
}

/* Bad arguments and cancel, straight to the plugin. */
static void direct_check_bad_args(pc_run *run, pc_dev *pd)
{
    const char *illum = pd->illums[0];
    dxp_frame_format fmt;
    dxp_frame_meta meta;
    pc_check ck;
    unsigned char *buf;
    size_t frame, alloc;
    dx_status st;

    {
        pc_check tmp;
        ck_begin(&tmp, "-");
        if (!get_format(&tmp, pd, illum, &fmt)) {
            pc_result(run, false, "bad-args", "%s: no usable frame format under %s: %s", pd->id,
                      illum, tmp.why);
            return;
        }
    }
    frame = (size_t)fmt.stride * fmt.height;
    alloc = (frame > pd->max_frame ? frame : pd->max_frame) + PC_GUARD;
    buf = malloc(alloc);
    if (!buf)
        return;

    ck_begin(&ck, "%s bad-arg.unknown-illumination.frame-format", pd->id);
    st = pd->cap->get_frame_format(pd->dev, PC_BAD_ILLUM, &fmt);
    if (st != DX_ERR_INVALID_ARG)
        ck_fail(&ck, "get_frame_format(\"%s\") gave %s, expected invalid_arg", PC_BAD_ILLUM,
                ST(st));
    ck_end(run, &ck);

    ck_begin(&ck, "%s bad-arg.unknown-illumination.capture", pd->id);
    st = pd->cap->capture(pd->dev, PC_BAD_ILLUM, buf, alloc - PC_GUARD, &meta);
    if (st != DX_ERR_INVALID_ARG)
        ck_fail(&ck, "capture(\"%s\") gave %s, expected invalid_arg", PC_BAD_ILLUM, ST(st));
    ck_end(run, &ck);

    ck_begin(&ck, "%s bad-arg.buffer-too-small", pd->id);
    guard_fill(buf + frame - 1, PC_GUARD);
    st = pd->cap->capture(pd->dev, illum, buf, frame - 1, &meta);
    if (st != DX_ERR_INVALID_ARG)
        ck_fail(&ck, "capture(%s) into %zu bytes (needs %zu) gave %s, expected invalid_arg",
                illum, frame - 1, frame, ST(st));
    if (guard_changed(buf + frame - 1, PC_GUARD) >= 0)
        ck_fail(&ck, "capture(%s) wrote past the %zu-byte buffer it was given", illum, frame - 1);
    ck_end(run, &ck);

    ck_begin(&ck, "%s cancel.idle", pd->id);
    st = pd->cap->cancel(pd->dev);
    if (st != DX_OK)
        ck_fail(&ck, "cancel() with no capture running gave %s, expected ok", ST(st));
    st = pd->cap->capture(pd->dev, illum, buf, frame, &meta);
    if (st != DX_OK)
        ck_fail(&ck, "the capture after an idle cancel() gave %s, expected ok", ST(st));
    ck_end(run, &ck);

    /* cancel during a capture: slow the device down first where it lets us */
    ck_begin(&ck, "%s cancel.running", pd->id);
    {
        const dxp_option *delay = find_option(pd, "delay_ms", DXP_OPT_INT);
        pc_async a = {.ops = pd->cap, .dev = pd->dev, .illum = illum, .buf = buf, .size = frame};
        pthread_t th;
        struct timespec deadline;
        int64_t t0, cancel_us = 0;
        bool finished;

        dxp_value delay_saved;
        bool delay_restore = false;
        if (delay && pd->d->set_option && pd->d->get_option) {
            dxp_value v = {.type = DXP_OPT_INT};
            delay_restore = pd->d->get_option(pd->dev, "delay_ms", &delay_saved) == DX_OK;
            v.i = delay->max_i < PC_CANCEL_DELAY_MS ? delay->max_i : PC_CANCEL_DELAY_MS;
            if (v.i < delay->min_i)
                v.i = delay->min_i;
            st = pd->d->set_option(pd->dev, "delay_ms", &v);
            if (st != DX_OK)
                ck_fail(&ck, "set_option(delay_ms=%" PRId64 ") gave %s", v.i, ST(st));
        }
        pthread_mutex_init(&a.lock, NULL);
        pthread_cond_init(&a.cond, NULL);
        t0 = now_us();
        if (pthread_create(&th, NULL, async_capture, &a) != 0) {
            ck_fail(&ck, "cannot start a thread");
        } else {
            sleep_ms(PC_CANCEL_AFTER_MS);
            cancel_us = now_us();
            st = pd->cap->cancel(pd->dev);
            if (st != DX_OK)
                ck_fail(&ck, "cancel() during capture gave %s, expected ok", ST(st));
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += PC_CANCEL_WAIT_S;
            pthread_mutex_lock(&a.lock);
            while (!a.done)
                if (pthread_cond_timedwait(&a.cond, &a.lock, &deadline) == ETIMEDOUT)
                    break;
            finished = a.done;
            pthread_mutex_unlock(&a.lock);
            if (!finished) {
                /* The plugin is stuck in capture(): nothing after this is safe. */
                ck_fail(&ck, "capture() still running %d s after cancel(); giving up",
                        PC_CANCEL_WAIT_S);
                ck_end(run, &ck);
                exit(pc_summary(run));
            }
            pthread_join(th, NULL);
            if (a.status != DX_ERR_CANCELLED && a.status != DX_OK)
                ck_fail(&ck, "the cancelled capture gave %s, expected cancelled or ok",
                        ST(a.status));
            if (delay_restore && a.status == DX_OK && now_us() - t0 > 1000000)
                ck_fail(&ck, "cancel() did not shorten a %d ms capture (took %" PRId64 " ms)",
                        PC_CANCEL_DELAY_MS, (now_us() - t0) / 1000);
            /* A capture that returned ok before cancel() was even sent did not
             * test the cancel: say so rather than pass. */
            if (a.status == DX_OK && a.done_us <= cancel_us) {
                if (delay)
                    ck_skip(&ck, "the capture finished in %" PRId64 " ms, before cancel() was "
                            "sent after %d ms, although delay_ms was set to slow it down; make "
                            "delay_ms lengthen each capture to exercise cancel during a capture",
                            (a.done_us - t0) / 1000, PC_CANCEL_AFTER_MS);
                else
                    ck_skip(&ck, "the capture finished in %" PRId64 " ms, before cancel() was "
                            "sent after %d ms; offer an INT option \"delay_ms\" (milliseconds "
                            "added to each capture) to exercise cancel during a capture",
                            (a.done_us - t0) / 1000, PC_CANCEL_AFTER_MS);
            }
        }
        pthread_cond_destroy(&a.cond);
        pthread_mutex_destroy(&a.lock);
        if (delay_restore)
            pd->d->set_option(pd->dev, "delay_ms", &delay_saved);
        st = pd->cap->capture(pd->dev, illum, buf, frame, &meta);
        if (st != DX_OK)
            ck_fail(&ck, "the capture after a cancelled one gave %s, expected ok", ST(st));
    }
    ck_end(run, &ck);
    free(buf);
}

static void direct_check_chip(pc_run *run, pc_dev *pd)
{
    const dxp_chip_ops *chip = pd->d->chip;
    /* SELECT the eMRTD application (ICAO 9303-10, 3.6.2) */
    static const uint8_t select[] = {0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00,
                                     0x00, 0x02, 0x47, 0x10, 0x01};
    uint8_t buf[512];
    size_t len = 0;
    pc_check ck;
    dx_status st;

    ck_begin(&ck, "%s chip.transmit-no-card", pd->id);
    st = chip->transmit(pd->dev, select, sizeof select, buf, sizeof buf, &len);
    if (st != DX_ERR_NO_CARD && st != DX_ERR_CARD_REMOVED)
        ck_fail(&ck, "transmit() before wait_card() gave %s, expected no_card or card_removed",
                ST(st));
    ck_end(run, &ck);

    ck_begin(&ck, "%s chip.wait-card-poll", pd->id);
    st = chip->wait_card(pd->dev, 0, buf, sizeof buf, &len);
    if (st != DX_OK && st != DX_ERR_NO_CARD)
        ck_fail(&ck, "wait_card(timeout 0) gave %s, expected ok or no_card", ST(st));
    if (st == DX_OK) {
        if (len > sizeof buf)
            ck_fail(&ck, "ATR length %zu exceeds the %zu-byte buffer", len, sizeof buf);
        /* a card answers; any status word will do, but whole */
        len = SIZE_MAX;
        st = chip->transmit(pd->dev, select, sizeof select, buf, sizeof buf, &len);
        if (st == DX_OK && (len < 2 || len > sizeof buf))
            ck_fail(&ck, "transmit() gave a %zu-byte response, expected 2..%zu", len, sizeof buf);
        else if (st != DX_OK && st != DX_ERR_CARD_REMOVED && st != DX_ERR_TIMEOUT)
            ck_fail(&ck, "transmit(SELECT) to a connected card gave %s, expected ok", ST(st));
        st = chip->release_card(pd->dev);
        if (st != DX_OK)
            ck_fail(&ck, "release_card() gave %s, expected ok", ST(st));
        st = chip->transmit(pd->dev, select, sizeof select, buf, sizeof buf, &len);
        if (st != DX_ERR_NO_CARD && st != DX_ERR_CARD_REMOVED)
            ck_fail(&ck, "transmit() after release_card() gave %s, expected no_card", ST(st));
    }
    ck_end(run, &ck);

    ck_begin(&ck, "%s chip.cancel-idle", pd->id);
    st = chip->cancel(pd->dev);
    if (st != DX_OK)
        ck_fail(&ck, "cancel() with nothing running gave %s, expected ok", ST(st));
    ck_end(run, &ck);
}

static void direct_check_light(pc_run *run, pc_dev *pd)
{
    const dxp_light_ops *light = pd->d->light;
    pc_check ck;
    dx_status st;

    ck_begin(&ck, "%s light.set", pd->id);
    for (uint32_t i = 0; i < pd->desc.n_illuminations; i++) {
        const char *nm = pd->desc.illuminations[i].name;
        if (rule_name_problem(nm))
            continue; /* failed in the illuminations check */
        st = light->set(pd->dev, nm, 100);
        if (st != DX_OK)
            ck_fail(&ck, "set(%s, 100) gave %s, expected ok", nm, ST(st));
        st = light->set(pd->dev, nm, 0);
        if (st != DX_OK)
            ck_fail(&ck, "set(%s, 0) gave %s, expected ok", nm, ST(st));
    }
    st = light->set(pd->dev, PC_BAD_ILLUM, 100);
    if (st != DX_ERR_INVALID_ARG)
        ck_fail(&ck, "set(\"%s\", 100) gave %s, expected invalid_arg", PC_BAD_ILLUM, ST(st));
    ck_end(run, &ck);
}

static void direct_check_device(pc_run *run, const dxp_plugin *d, dxp_plugin_ctx *ctx,
                                const dxp_device_info *info)
{
    pc_dev pd = {.d = d};
    char id[160];
    pc_check ck;
    dx_status st;
    static const char *ambient[] = {"ambient"};

    snprintf(id, sizeof id, "%s:%s", d->name, info->id);
    pd.id = id;

    ck_begin(&ck, "%s open-close x%d", id, run->repeat);
    for (int n = 0; n < run->repeat; n++) {
        dxp_device *dev = NULL;
        st = d->open(ctx, info->id, &dev);
        if (st != DX_OK || !dev) {
            ck_fail(&ck, "open %d of %d gave %s%s, expected ok", n + 1, run->repeat, ST(st),
                    st == DX_OK ? " and no device" : "");
            break;
        }
        d->close(dev);
    }
    if (!ck_end(run, &ck))
        return;

    st = d->open(ctx, info->id, &pd.dev);
    if (st != DX_OK || !pd.dev) {
        pc_result(run, false, "open", "%s: open gave %s", id, ST(st));
        return;
    }
    if ((info->kinds & DXP_KIND_SCANNER) && d->scanner)
        pd.cap = d->scanner;
    else if ((info->kinds & DXP_KIND_CAMERA) && d->camera)
        pd.cap = d->camera;

    if (!direct_check_describe(run, &pd, info->kinds))
        goto done;
    direct_check_options(run, &pd);

    if (pd.cap) {
        const char **names = NULL;
        if (pd.desc.n_illuminations) {
            names = calloc(pd.desc.n_illuminations, sizeof *names);
            if (!names)
                goto done;
            /* only names that follow the rule, each once (the rest has failed) */
            for (uint32_t i = 0; i < pd.desc.n_illuminations; i++) {
                const char *nm = pd.desc.illuminations[i].name;
                bool dup = false;
                if (rule_name_problem(nm))
                    continue;
                for (size_t j = 0; j < pd.n_illums; j++)
                    dup = dup || strcmp(names[j], nm) == 0;
                if (!dup)
                    names[pd.n_illums++] = nm;
            }
            pd.illums = names;
        } else {
            pd.illums = ambient;
            pd.n_illums = 1;
        }
        for (size_t i = 0; i < pd.n_illums; i++)
            direct_check_illumination(run, &pd, pd.illums[i]);
        if (pd.n_illums)
            direct_check_bad_args(run, &pd);
        free(names);
    }
    if ((info->kinds & DXP_KIND_CHIP_READER) && d->chip)
        direct_check_chip(run, &pd);
    if ((info->kinds & DXP_KIND_LIGHT) && d->light)
        direct_check_light(run, &pd);
done:
    d->close(pd.dev);
}

/* Fill the guard slots after enumerate's capacity. */
static void enum_guard_fill(dxp_device_info *g)
{
    guard_fill((unsigned char *)g, PC_ENUM_GUARD * sizeof *g);
}

/* enumerate: twice the same, capacity 0, within DXP_MAX_DEVICES, never past
 * its capacity, ids, kinds and text. */
static dxp_device_info *direct_check_enumerate(pc_run *run, const dxp_plugin *d,
                                               dxp_plugin_ctx *ctx, uint32_t *n_out)
{
    dxp_device_info *a = NULL, *b = NULL;
    uint32_t count0 = 0, n1 = 0, n2 = 0, cap;
    pc_check ck;
    dx_status st;
    char k1[64], why[128], t1[PC_SHOW_MAX * 4 + 8];
    bool fatal = false; /* the list cannot be used to open devices */

    *n_out = 0;
    ck_begin(&ck, "enumerate");
    st = d->enumerate(ctx, NULL, 0, &count0);
    if (st != DX_OK) {
        ck_fail(&ck, "enumerate(capacity 0) gave %s, expected ok", ST(st));
        goto fail;
    }
    if (count0 > DXP_MAX_DEVICES) {
        ck_fail(&ck, "enumerate(capacity 0) claims %u devices, more than the limit %d "
                "(DXP_MAX_DEVICES)", count0, DXP_MAX_DEVICES);
        goto fail;
    }
    cap = count0 + 1;
    a = calloc(cap + PC_ENUM_GUARD, sizeof *a);
    b = calloc(cap + PC_ENUM_GUARD, sizeof *b);
    if (!a || !b)
        goto fail;
    enum_guard_fill(a + cap);
    st = d->enumerate(ctx, a, cap, &n1);
    if (guard_changed((const unsigned char *)(a + cap), PC_ENUM_GUARD * sizeof *a) >= 0) {
        ck_fail(&ck, "enumerate(capacity %u) wrote past the %u entries it was given", cap, cap);
        goto fail;
    }
    if (st != DX_OK || n1 != count0) {
        ck_fail(&ck, "enumerate(capacity %u) gave %s and %u devices, expected ok and %u", cap,
                ST(st), n1, count0);
        goto fail;
    }
    enum_guard_fill(b + cap);
    st = d->enumerate(ctx, b, cap, &n2);
    if (guard_changed((const unsigned char *)(b + cap), PC_ENUM_GUARD * sizeof *b) >= 0) {
        ck_fail(&ck, "enumerate(capacity %u) wrote past the %u entries it was given", cap, cap);
        goto fail;
    }
    if (st != DX_OK || n2 != n1 || memcmp(a, b, n1 * sizeof *a) != 0) {
        ck_fail(&ck, "a second enumerate gave %s and %u devices, expected ok and the same %u",
                ST(st), n2, n1);
        goto fail;
    }
    for (uint32_t i = 0; i < n1; i++) {
        uint32_t k = a[i].kinds;
        const struct {
            const char *field;
            const char *text;
        } texts[] = {{"id", a[i].id}, {"model", a[i].model}, {"vendor", a[i].vendor},
                     {"serial", a[i].serial}};
        if (!memchr(a[i].id, '\0', sizeof a[i].id) || !memchr(a[i].model, '\0', sizeof a[i].model) ||
            !memchr(a[i].vendor, '\0', sizeof a[i].vendor) ||
            !memchr(a[i].serial, '\0', sizeof a[i].serial)) {
            ck_fail(&ck, "device %u: a text field is not NUL-terminated", i);
            fatal = true;
            continue;
        }
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
            if (text_problem(texts[t].text, why, sizeof why))
                ck_fail(&ck, "device %u: %s %s is not printable UTF-8: %s", i, texts[t].field,
                        show(texts[t].text, PC_SHOW_MAX, t1, sizeof t1), why);
        if (!all_zero(a[i].reserved, sizeof a[i].reserved))
            ck_fail(&ck, "device %u: reserved fields of dxp_device_info are not zero", i);
        if (!a[i].id[0]) {
            ck_fail(&ck, "device %u: empty id", i);
            fatal = true;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(a[i].id, a[j].id) == 0) {
                ck_fail(&ck, "device id %s is listed twice",
                        show(a[i].id, PC_SHOW_MAX, t1, sizeof t1));
                fatal = true;
            }
        if (!k)
            ck_fail(&ck, "device %u: kinds is 0", i);
        if (k & ~0xfu)
            ck_fail(&ck, "device %u: unknown kind bits 0x%x", i, k & ~0xfu);
        if (((k & DXP_KIND_SCANNER) && !d->scanner) || ((k & DXP_KIND_CAMERA) && !d->camera) ||
            ((k & DXP_KIND_CHIP_READER) && !d->chip) || ((k & DXP_KIND_LIGHT) && !d->light))
            ck_fail(&ck, "device %u claims %s but the descriptor lacks its op table", i,
                    kind_names(k, k1, sizeof k1));
        if (!k || (k & ~0xfu))
            fatal = true;
    }
    if (fatal)
        goto fail;
    /* bad text or reserved fields fail the check, but the devices are usable */
    ck_end(run, &ck);
    free(b);
    *n_out = n1;
    return a;
fail:
    ck_end(run, &ck);
    free(a);
    free(b);
    return NULL;
}

/* The second entry() call may return something else than the first, which
 * check_descriptor() passed: check again, quietly, what phase 2 relies on. */
static bool descriptor_still_usable(const dxp_plugin *d)
{
    const dxp_capture_ops *caps[2] = {d->scanner, d->camera};
    if (!d->name || strnlen(d->name, 64) >= 64 || !name_ok(d->name, true))
        return false;
    if (!d->init || !d->fini || !d->enumerate || !d->open || !d->close || !d->describe)
        return false;
    for (int k = 0; k < 2; k++)
        if (caps[k] && (caps[k]->struct_size < DXP_CAPTURE_OPS_SIZE_1_0 ||
                        !caps[k]->get_frame_format || !caps[k]->capture || !caps[k]->cancel))
            return false;
    if (d->chip && (d->chip->struct_size < DXP_CHIP_OPS_SIZE_1_0 || !d->chip->wait_card ||
                    !d->chip->transmit || !d->chip->release_card || !d->chip->cancel))
        return false;
    if (d->light && (d->light->struct_size < DXP_LIGHT_OPS_SIZE_1_0 || !d->light->set))
        return false;
    return true;
}

static void direct_phase(pc_run *run, const char *path, const char *settings,
                         const char *datadir)
{
    dxp_host_ctx svc_ctx = {.plugin = "plugin-check", .datadir = datadir};
    dxp_host svc = {.abi_major = DXP_ABI_MAJOR,
                    .abi_minor = DXP_ABI_MINOR,
                    .struct_size = sizeof(dxp_host),
                    .ctx = &svc_ctx,
                    .log = svc_log,
                    .log_enabled = svc_log_enabled,
                    .get_setting = svc_get_setting};
    dxp_plugin_ctx *ctx = NULL;
    dxp_device_info *devs = NULL;
    uint32_t n_devs = 0;
    const dxp_plugin *d;
    dxp_entry_fn entry;
    void *dl;
    dx_status st;
    bool seen = false;

    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        pc_result(run, false, "direct.load", "dlopen: %s", e ? e : "unknown error");
        return;
    }
    {
        void *sym = dlsym(dl, DXP_ENTRY_SYMBOL);
        memcpy(&entry, &sym, sizeof entry); /* POSIX: object to function pointer */
    }
    d = entry ? entry() : NULL;
    if (!d || d->abi_major != DXP_ABI_MAJOR || d->struct_size < DXP_PLUGIN_SIZE_1_0 ||
        !descriptor_still_usable(d)) {
        pc_result(run, false, "direct.load", "the descriptor changed since the host loaded it");
        goto close_dl;
    }
    settings_add(&svc_ctx, getenv("DOCEX_SET"));
    settings_add(&svc_ctx, settings);
    svc_ctx.plugin = d->name;

    st = d->init(&svc, &ctx);
    pc_result(run, st == DX_OK, "init", "init() gave %s, expected ok", ST(st));
    if (st != DX_OK)
        goto close_dl;

    devs = direct_check_enumerate(run, d, ctx, &n_devs);
    for (uint32_t i = 0; devs && i < n_devs; i++) {
        if (!device_selected(run, d->name, devs[i].id))
            continue;
        seen = true;
        direct_check_device(run, d, ctx, &devs[i]);
    }
    if (run->device && devs && !seen)
        pc_result(run, false, "device", "--device %s: no such device (enumerate gave %u)",
                  run->device, n_devs);
    free(devs);
    d->fini(ctx);
close_dl:
    settings_free(&svc_ctx);
    dlclose(dl);
}

/* ---- the command ------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: docex plugin-check [--repeat N] [--set KEY=VALUE]... [--device ID] PLUGIN.so\n"
          "\n"
          "Conformance check of one docex plugin: loads only PLUGIN.so and drives every\n"
          "operation it claims, repeatedly and on its error paths.  Prints one line per\n"
          "check (PASS <check> / FAIL <check>: <why> / SKIP <check>: <why>, for a check\n"
          "the plugin gives no way to exercise) and \"N passed, N failed, N skipped\".\n"
          "\n"
          "  --repeat N        open/close and capture N times (default 20)\n"
          "  --set KEY=VALUE   a host setting for the plugin (\"sim.scene=/dir\"), repeatable\n"
          "  --device ID       check only this device (\"0\" or \"sim:0\")\n"
          "  --help            this text\n"
          "\n"
          "Exit status: 0 no check failed (a SKIP is no failure), 1 a check failed, 2 usage\n"
          "error.\n",
          f);
}

int dx_cmd_plugin_check(const dx_cli_globals *g, int argc, char **argv)
{
    pc_run run = {.repeat = 20};
    const char *file = NULL;
    char *settings = NULL, *real = NULL;
    size_t settings_len = 0;
    char datadir[PATH_MAX] = "";
    bool usable = false;
    int rc = DX_EXIT_ERROR;

    if (g && g->settings && *g->settings) {
        settings = strdup(g->settings);
        if (!settings)
            goto out;
        settings_len = strlen(settings);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            rc = DX_EXIT_OK;
            goto out;
        } else if (strcmp(a, "--repeat") == 0 || strcmp(a, "--device") == 0 ||
                   strcmp(a, "--set") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                dx_cli_error(PC_CMD, "%s needs a value", a);
                goto usage_error;
            }
            if (strcmp(a, "--repeat") == 0) {
                char *end;
                long n;
                errno = 0;
                n = strtol(v, &end, 10);
                if (errno || *end || end == v || n < 1 || n > 100000) {
                    dx_cli_error(PC_CMD, "--repeat %s: expected a number from 1 to 100000", v);
                    goto usage_error;
                }
                run.repeat = (int)n;
            } else if (strcmp(a, "--device") == 0) {
                run.device = v;
            } else {
                size_t vl = strlen(v);
                char *s;
                if (!strchr(v, '=') || v[0] == '=') {
                    dx_cli_error(PC_CMD, "--set %s: expected KEY=VALUE", v);
                    goto usage_error;
                }
                s = realloc(settings, settings_len + vl + 2);
                if (!s)
                    goto out;
                settings = s;
                if (settings_len)
                    settings[settings_len++] = ';';
                memcpy(settings + settings_len, v, vl + 1);
                settings_len += vl;
            }
        } else if (a[0] == '-' && a[1]) {
            dx_cli_error(PC_CMD, "unknown option %s", a);
            goto usage_error;
        } else if (file) {
            dx_cli_error(PC_CMD, "one plugin file at a time (got %s and %s)", file, a);
            goto usage_error;
        } else {
            file = a;
        }
    }
    if (!file) {
        dx_cli_error(PC_CMD, "no plugin file given");
        goto usage_error;
    }
    real = realpath(file, NULL);
    if (!real || access(real, R_OK) != 0) {
        dx_cli_error(PC_CMD, "%s: %s", file, strerror(errno ? errno : ENOENT));
        goto out;
    }
    if (strchr(real, ':')) {
        dx_cli_error(PC_CMD, "%s: a plugin path may not contain ':'", real);
        goto out;
    }

    if (host_phase(&run, real, settings, datadir, sizeof datadir, &usable) && usable)
        direct_phase(&run, real, settings, datadir);
    rc = pc_summary(&run);
    goto out;

usage_error:
    usage(stderr);
    rc = DX_EXIT_ERROR;
out:
    free(real);
    free(settings);
    return rc;
}
