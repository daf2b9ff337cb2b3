/* loader_unit — dx_host_new against tests/plugins/{bad,good}: each bad file is
 * refused once with the right reason, good plugins load, a refusal does not
 * stop the others, only_files loads exactly the files named, and
 * dx_host_free() unloads cleanly (run under ASan too).  And evil/: devices with
 * hostile descriptions are refused at open with the reason (or sanitised/cut). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docex/docex.h"
#include "dxtest.h"

static char bad_dir[1024], good_dir[1024], evil_dir[1024];

/* Warnings the loader logged, one per line; and how many warnings of any
 * category mentioned the word in `watch_word`. */
static char log_lines[64][1024];
static int n_log_lines;
static const char *watch_word;
static int n_watched;

static void on_log(dx_log_level level, const char *category, const char *message, void *user)
{
    (void)user;
    if (level == DX_LOG_WARNING && strcmp(category, "loader") == 0 && n_log_lines < 64)
        snprintf(log_lines[n_log_lines++], sizeof log_lines[0], "%s", message);
    if (level == DX_LOG_WARNING && watch_word && strstr(message, watch_word))
        n_watched++;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = s ? strlen(s) : 0, b = strlen(suffix);
    return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The refusal of the file ending in `file` ("/bad/major.so"); fails the test
 * unless there is exactly one. */
static const dx_plugin_refusal *refusal_of(const dx_host *host, const char *file)
{
    const dx_plugin_refusal *found = NULL;
    int n = 0;
    for (size_t i = 0; i < dx_host_refusal_count(host); i++) {
        const dx_plugin_refusal *r = dx_host_refusal_at(host, i);
        if (r && ends_with(r->path, file)) {
            found = r;
            n++;
        }
    }
    CHECK_MSG(n == 1, "%s refused %d times, expected once", file, n);
    return found;
}

static void check_reason(const dx_host *host, const char *file, const char *want, bool prefix)
{
    const dx_plugin_refusal *r = refusal_of(host, file);
    int lines = 0;
    if (!r)
        return;
    if (prefix)
        CHECK_MSG(starts_with(r->reason, want), "%s: reason \"%s\", expected \"%s...\"", file,
                  r->reason, want);
    else
        CHECK_MSG(strcmp(r->reason, want) == 0, "%s: reason \"%s\", expected \"%s\"", file,
                  r->reason, want);
    /* and one log line "<path>: refused: <reason>" */
    for (int i = 0; i < n_log_lines; i++) {
        char expect[2048];
        snprintf(expect, sizeof expect, "%s: refused: %s", r->path, r->reason);
        if (strcmp(log_lines[i], expect) == 0)
            lines++;
    }
    CHECK_MSG(lines == 1, "%s: %d log lines for the refusal, expected 1", file, lines);
}

static const dx_plugin_info *plugin_named(const dx_host *host, const char *name, size_t *index)
{
    for (size_t i = 0; i < dx_host_plugin_count(host); i++) {
        const dx_plugin_info *p = dx_host_plugin_at(host, i);
        if (p && p->name && strcmp(p->name, name) == 0) {
            if (index)
                *index = i;
            return p;
        }
    }
    return NULL;
}

static dx_host *make_host(const char *plugin_path, const char *only_files)
{
    dx_host_options opts = {.plugin_path = plugin_path, .only_files = only_files};
    dx_host *host = NULL;
    dx_error err = {0};
    dx_status st;
    n_log_lines = 0;
    st = dx_host_new(&opts, &host, &err);
    CHECK_MSG(st == DX_OK && host, "dx_host_new: %s (%s)", dx_status_name(st), err.message);
    return st == DX_OK ? host : NULL;
}

/* The search path: every bad file refused once, the good ones loaded. */
static void test_search_path(void)
{
    char path[8300], want[512];
    size_t refused_here = 0, idx = 0;
    const dx_plugin_info *mini, *dupe;
    const dxp_plugin *desc;
    dx_host *host;

    snprintf(path, sizeof path, "%s:%s", bad_dir, good_dir);
    host = make_host(path, NULL);
    REQUIRE(host);

    check_reason(host, "/bad/notso.so", "not a loadable shared object: ", true);
    check_reason(host, "/bad/noentry.so", "no entry symbol dxp_plugin_entry", false);
    check_reason(host, "/bad/nullentry.so", "entry returned NULL", false);
    snprintf(want, sizeof want, "ABI major %u differs from the host's %u", DXP_ABI_MAJOR + 1,
             DXP_ABI_MAJOR);
    check_reason(host, "/bad/major.so", want, false);
    snprintf(want, sizeof want, "ABI minor %u is newer than the host's %u.%u", DXP_ABI_MINOR + 1,
             DXP_ABI_MAJOR, DXP_ABI_MINOR);
    check_reason(host, "/bad/minor.so", want, false);
    snprintf(want, sizeof want, "descriptor struct_size %zu is smaller than %zu required by ABI %u.%u",
             offsetof(dxp_plugin, scanner), (size_t)DXP_PLUGIN_SIZE_1_0, DXP_ABI_MAJOR,
             DXP_ABI_MINOR);
    check_reason(host, "/bad/small.so", want, false);
    check_reason(host, "/bad/smallops.so", "invalid descriptor: scanner table too small or "
                 "incomplete", false);
    check_reason(host, "/bad/initfail.so", "init failed: hardware fault", false);
    check_reason(host, "/bad/noname.so", "invalid descriptor: ", true);
    check_reason(host, "/bad/badname.so", "invalid descriptor: ", true);
    check_reason(host, "/bad/dupe_b.so", "duplicate plugin name 'dupe' (already loaded from ", true);
    {
        const dx_plugin_refusal *r = refusal_of(host, "/bad/dupe_b.so");
        CHECK_MSG(r && strstr(r->reason, "/bad/dupe_a.so)"), "dupe_b: \"%s\" should name dupe_a.so",
                  r ? r->reason : "(none)");
    }

    for (size_t i = 0; i < dx_host_refusal_count(host); i++) {
        const dx_plugin_refusal *r = dx_host_refusal_at(host, i);
        if (strstr(r->path, "/tests/plugins/"))
            refused_here++;
        CHECK_MSG(!strstr(r->path, "/good/"), "good plugin refused: %s: %s", r->path, r->reason);
    }
    CHECK_MSG(refused_here == 11, "%zu refusals from tests/plugins, expected 11", refused_here);

    mini = plugin_named(host, "mini", &idx);
    CHECK_MSG(mini != NULL, "mini did not load");
    if (mini) {
        CHECK(ends_with(mini->path, "/good/mini.so"));
        CHECK_STR(mini->version, "1.0.0");
        CHECK_STR(mini->vendor, "docex tests");
        CHECK_STR(mini->license, "MIT");
        CHECK(mini->abi_major == DXP_ABI_MAJOR && mini->abi_minor == DXP_ABI_MINOR);
        CHECK(mini->has_scanner && !mini->has_camera && !mini->has_chip && !mini->has_light);
        desc = dx_host_plugin_descriptor(host, idx);
        CHECK(desc && desc->name && strcmp(desc->name, "mini") == 0);
    }
    dupe = plugin_named(host, "dupe", NULL);
    CHECK_MSG(dupe && ends_with(dupe->path, "/bad/dupe_a.so"), "dupe loaded from %s, expected dupe_a.so",
              dupe ? dupe->path : "(not loaded)");
    for (size_t i = 0; i < dx_host_plugin_count(host); i++) {
        const dx_plugin_info *p = dx_host_plugin_at(host, i);
        CHECK_MSG(!strstr(p->path, "/bad/") || ends_with(p->path, "/bad/dupe_a.so"),
                  "bad plugin loaded: %s", p->path);
    }
    CHECK(dx_host_refusal_at(host, dx_host_refusal_count(host)) == NULL);
    CHECK(dx_host_plugin_at(host, dx_host_plugin_count(host)) == NULL);
    dx_host_free(host);
}

/* A loaded test plugin works through the host: mini's pattern and option. */
static void test_mini_device(void)
{
    char file[4200];
    dx_host *host;
    dx_device_entry *list = NULL;
    size_t n = 0;
    dx_device *dev = NULL;
    dx_error err = {0};
    dxp_frame_format fmt;
    dxp_frame_meta meta;
    unsigned char buf[16 * 8 * 3];
    bool found = false;
    dx_status st;

    snprintf(file, sizeof file, "%s/mini.so", good_dir);
    host = make_host(NULL, file);
    REQUIRE(host);
    CHECK(dx_host_list_devices(host, &list, &n, &err) == DX_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].id, "mini:0") == 0)
            found = true;
    CHECK_MSG(found && n == 1, "mini:0 not listed alone (%zu devices)", n);
    free(list);

    st = dx_device_open(host, "mini:0", &dev, &err);
    CHECK_MSG(st == DX_OK, "open mini:0: %s", err.message);
    if (st == DX_OK) {
        CHECK(dx_device_can_capture(dev));
        CHECK(dx_device_illumination_count(dev) == 2);
        {
            const dx_illumination *w = dx_device_illumination_find(dev, "white");
            CHECK(w && w->band_lo_nm == 400 && w->band_hi_nm == 700 && w->standard);
        }
        CHECK(dx_device_frame_format(dev, "white", &fmt, &err) == DX_OK);
        CHECK(fmt.format == DXP_PIXEL_RGB24 && fmt.width == 16 && fmt.height == 8 &&
              fmt.stride == 48);
        CHECK(dx_device_set_option(dev, "gain", "5", &err) == DX_OK);
        CHECK(dx_device_set_option(dev, "gain", "11", &err) == DX_ERR_INVALID_ARG);
        CHECK(dx_device_set_option(dev, "nope", "1", &err) == DX_ERR_NOT_FOUND);
        st = dx_device_capture(dev, "white", buf, sizeof buf, &meta, &err);
        CHECK_MSG(st == DX_OK, "capture: %s", err.message);
        if (st == DX_OK) {
            bool ok = true;
            for (size_t i = 0; i < sizeof buf; i++)
                ok = ok && buf[i] == (unsigned char)(i * 7u + 5u);
            CHECK_MSG(ok, "mini's frame is not the expected pattern");
            CHECK(meta.timestamp_us > 0 && meta.gain == 5.0);
        }
        dx_device_close(dev);
        CHECK(dx_device_capture(dev, "white", buf, sizeof buf, &meta, &err) == DX_ERR_STATE);
        dx_device_free(dev);
    }
    CHECK(dx_host_refusal_count(host) == 0);
    dx_host_free(host);
}

/* only_files: exactly the files named, in order, and no directory. */
static void test_only_files(void)
{
    char files[16384];
    dx_host *host;

    /* DOCEX_PLUGIN_PATH must not be searched. */
    setenv("DOCEX_PLUGIN_PATH", bad_dir, 1);
    snprintf(files, sizeof files, "%s/mini.so", good_dir);
    host = make_host(NULL, files);
    REQUIRE(host);
    CHECK_MSG(dx_host_plugin_count(host) == 1, "%zu plugins", dx_host_plugin_count(host));
    CHECK(plugin_named(host, "mini", NULL) != NULL);
    CHECK_MSG(dx_host_refusal_count(host) == 0, "%zu refusals", dx_host_refusal_count(host));
    dx_host_free(host);
    unsetenv("DOCEX_PLUGIN_PATH");

    /* a refusal does not stop the file after it */
    snprintf(files, sizeof files, "%s/major.so:%s/mini.so", bad_dir, good_dir);
    host = make_host(NULL, files);
    REQUIRE(host);
    CHECK(dx_host_plugin_count(host) == 1 && plugin_named(host, "mini", NULL));
    CHECK(dx_host_refusal_count(host) == 1);
    refusal_of(host, "/bad/major.so");
    dx_host_free(host);

    /* list order decides which duplicate wins */
    snprintf(files, sizeof files, "%s/dupe_b.so:%s/dupe_a.so", bad_dir, bad_dir);
    host = make_host(NULL, files);
    REQUIRE(host);
    {
        const dx_plugin_info *p = plugin_named(host, "dupe", NULL);
        CHECK_MSG(p && ends_with(p->path, "/bad/dupe_b.so"), "dupe from %s",
                  p ? p->path : "(none)");
    }
    check_reason(host, "/bad/dupe_a.so", "duplicate plugin name 'dupe' (already loaded from ", true);
    dx_host_free(host);

    /* every bad file at once: all refused, nothing loaded, nothing crashes */
    snprintf(files, sizeof files,
             "%1$s/notso.so:%1$s/noentry.so:%1$s/nullentry.so:%1$s/major.so:%1$s/minor.so:"
             "%1$s/small.so:%1$s/smallops.so:%1$s/initfail.so:%1$s/noname.so:%1$s/badname.so",
             bad_dir);
    host = make_host(NULL, files);
    REQUIRE(host);
    CHECK_MSG(dx_host_plugin_count(host) == 0, "%zu plugins", dx_host_plugin_count(host));
    CHECK_MSG(dx_host_refusal_count(host) == 10, "%zu refusals", dx_host_refusal_count(host));
    dx_host_free(host);

    /* a file that does not exist: no plugin, no crash */
    snprintf(files, sizeof files, "%s/does-not-exist.so", good_dir);
    {
        dx_host_options opts = {.only_files = files};
        dx_error err;
        host = NULL;
        if (dx_host_new(&opts, &host, &err) == DX_OK) {
            CHECK(dx_host_plugin_count(host) == 0);
            dx_host_free(host);
        }
    }
}

/* Hostile device descriptions (tests/plugins/evil/): each plugin loads, the
 * device is listed, and dx_device_open refuses it with DX_ERR_PROTOCOL and a
 * message naming the problem, without reading out of bounds (ASan). */
static void test_evil_devices(void)
{
    static const struct {
        const char *plugin;
        const char *words[3]; /* each must appear in the message */
    } cases[] = {
        {"hugeopts", {"options", "2147483647", NULL}},
        {"nullopt", {"option", "name", NULL}},
        {"dupillum", {"duplicate", "white", NULL}},
        {"badillum", {"illumination", "name", NULL}},
        {"badformat", {"pixel format", "99", NULL}},
        {"nullchoices", {"mode", "choices", NULL}},
        {"manyillums", {"illuminations", "65", NULL}},
    };
    char file[4200], id[64], want[256];

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dx_host *host;
        dx_device_entry *list = NULL;
        size_t n = 0;
        dx_device *dev = NULL;
        dx_error err = {0};
        dx_status st;

        snprintf(file, sizeof file, "%s/%s.so", evil_dir, cases[c].plugin);
        host = make_host(NULL, file);
        REQUIRE(host);
        CHECK_MSG(dx_host_plugin_count(host) == 1, "%s did not load", cases[c].plugin);
        CHECK(dx_host_list_devices(host, &list, &n, &err) == DX_OK);
        CHECK_MSG(n == 1, "%s: %zu devices listed, expected 1", cases[c].plugin, n);
        free(list);
        snprintf(id, sizeof id, "%s:0", cases[c].plugin);
        st = dx_device_open(host, id, &dev, &err);
        CHECK_MSG(st == DX_ERR_PROTOCOL && !dev, "%s: open gave %s, expected protocol", id,
                  dx_status_name(st));
        snprintf(want, sizeof want, "device %s: plugin %s described an invalid device: ", id,
                 cases[c].plugin);
        CHECK_MSG(starts_with(err.message, want), "%s: message \"%s\", expected \"%s...\"", id,
                  err.message, want);
        for (int w = 0; w < 3 && cases[c].words[w]; w++)
            CHECK_MSG(strstr(err.message, cases[c].words[w]) != NULL,
                      "%s: message \"%s\" does not name \"%s\"", id, err.message,
                      cases[c].words[w]);
        dx_device_free(dev);
        dx_host_free(host);
    }

    /* invalid UTF-8 and a newline in the model: sanitised to '?', opens */
    {
        dx_host *host;
        dx_device_entry *list = NULL;
        size_t n = 0;
        dx_device *dev = NULL;
        dx_error err = {0};
        snprintf(file, sizeof file, "%s/badmodel.so", evil_dir);
        host = make_host(NULL, file);
        REQUIRE(host);
        CHECK(dx_host_list_devices(host, &list, &n, &err) == DX_OK);
        CHECK_MSG(n == 1, "badmodel: %zu devices", n);
        if (n == 1) {
            const unsigned char *m = (const unsigned char *)list[0].info.model;
            bool clean = true;
            for (; *m; m++)
                clean = clean && *m >= 0x20 && *m < 0x7f;
            CHECK_MSG(clean && strchr(list[0].info.model, '?') &&
                          starts_with(list[0].info.model, "Mini "),
                      "badmodel: model \"%s\" not sanitised", list[0].info.model);
        }
        free(list);
        CHECK_MSG(dx_device_open(host, "badmodel:0", &dev, &err) == DX_OK, "badmodel:0: %s",
                  err.message);
        dx_device_free(dev);
        dx_host_free(host);
    }

    /* enumerate() claiming 100000 devices: cut to DXP_MAX_DEVICES, warned */
    {
        dx_host *host;
        dx_device_entry *list = NULL;
        size_t n = 0;
        dx_device *dev = NULL;
        dx_error err = {0};
        snprintf(file, sizeof file, "%s/manydevs.so", evil_dir);
        host = make_host(NULL, file);
        REQUIRE(host);
        watch_word = "manydevs";
        n_watched = 0;
        CHECK(dx_host_list_devices(host, &list, &n, &err) == DX_OK);
        CHECK_MSG(n == DXP_MAX_DEVICES, "manydevs: %zu devices listed, expected %d", n,
                  DXP_MAX_DEVICES);
        CHECK_MSG(n_watched >= 1, "manydevs: no warning about the cut list");
        watch_word = NULL;
        free(list);
        CHECK_MSG(dx_device_open(host, "manydevs:255", &dev, &err) == DX_OK, "manydevs:255: %s",
                  err.message);
        dx_device_free(dev);
        dev = NULL;
        CHECK(dx_device_open(host, "manydevs:256", &dev, &err) == DX_ERR_NOT_FOUND && !dev);
        dx_host_free(host);
    }
}

/* Load and unload many times: init/fini pair up, nothing leaks (ASan). */
static void test_reload(void)
{
    char path[8300];
    snprintf(path, sizeof path, "%s:%s", bad_dir, good_dir);
    for (int i = 0; i < 5; i++) {
        dx_host *host = make_host(path, NULL);
        REQUIRE(host);
        CHECK(plugin_named(host, "mini", NULL) != NULL);
        dx_host_free(host);
    }
}

int main(void)
{
    const char *dir = getenv("DOCEX_TEST_PLUGINS");
    if (!dir || !*dir) {
        fprintf(stderr, "DOCEX_TEST_PLUGINS is not set: run under ctest\n");
        return 77;
    }
    if (strlen(dir) > sizeof bad_dir - 16) {
        fprintf(stderr, "DOCEX_TEST_PLUGINS is too long\n");
        return 77;
    }
    snprintf(bad_dir, sizeof bad_dir, "%s/bad", dir);
    snprintf(good_dir, sizeof good_dir, "%s/good", dir);
    snprintf(evil_dir, sizeof evil_dir, "%s/evil", dir);
    unsetenv("DOCEX_PLUGIN_PATH");
    dx_log_set_handler(on_log, NULL);

    test_search_path();
    test_evil_devices();
    test_mini_device();
    test_only_files();
    test_reload();

    dx_log_set_handler(NULL, NULL);
    return dxtest_done();
}
