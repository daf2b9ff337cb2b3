/* Fuzz target: the host's parsers of user text.
 *
 * Input: byte 0 picks an option of a fixed table with every option type;
 * the rest, as a NUL-terminated string, is parsed by
 *   1. dx_option_parse() against that option (and the result checked against
 *      the option's type and range),
 *   2. dx_log_set_levels() (DOCEX_DEBUG syntax), then "warning" is restored,
 *   3. dx_host_new() with options.settings = the text (DOCEX_SET / --set
 *      syntax) and only_files = a path that does not exist, so no plugin loads,
 *   4. dx_device_set_options() ("name=value,..." as in --settings) on the sim
 *      plugin's device sim:0, opened once on the default scene, when the sim
 *      plugin is built (DOCEX_SIM_PLUGIN) and DOCEX_FUZZ_NO_SIM is unset.
 * The log handler is silenced (FUZZ_VERBOSE=1 keeps it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docex/docex.h"
#include "fuzz.h"

static const char *const colours[] = {"red", "green", "blue", "", NULL};
static const char *const one_choice[] = {"only", NULL};

/* Every option type, with ranges at the edges of what the types hold. */
static const dxp_option options[] = {
    {"flag", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "false", "a boolean", {0}},
    {"count", DXP_OPT_INT, DXP_UNIT_COUNT, 0, 1000000, 0, 0, NULL, "0", "a small count", {0}},
    {"signed", DXP_OPT_INT, DXP_UNIT_NONE, -5, 5, 0, 0, NULL, "0", "around zero", {0}},
    {"wide", DXP_OPT_INT, DXP_UNIT_NONE, INT64_MIN, INT64_MAX, 0, 0, NULL, "0", "all of int64", {0}},
    {"ratio", DXP_OPT_FLOAT, DXP_UNIT_PERCENT, 0, 0, 0.0, 100.0, NULL, "0", "a percentage", {0}},
    {"angle", DXP_OPT_FLOAT, DXP_UNIT_DEGREE, 0, 0, -180.0, 180.0, NULL, "0", "an angle", {0}},
    {"any", DXP_OPT_FLOAT, DXP_UNIT_NONE, 0, 0, -1e308, 1e308, NULL, "0", "nearly any", {0}},
    {"label", DXP_OPT_STRING, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "", "free text", {0}},
    {"colour", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0, colours, "red", "a choice", {0}},
    {"single", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0, one_choice, "only", "one choice", {0}},
    {"nochoice", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "", "an enum without choices", {0}},
    {"bogus", (dxp_option_type)99, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "", "an unknown type", {0}},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static void quiet_log(dx_log_level level, const char *category, const char *message, void *user)
{
    (void)level;
    (void)category;
    (void)message;
    (void)user;
}

static dx_host *sim_host;
static dx_device *sim_dev;

static void sim_cleanup(void)
{
    dx_device_free(sim_dev);
    dx_host_free(sim_host);
    sim_dev = NULL;
    sim_host = NULL;
}

/* Opens sim:0 on the default scene once; NULL when the plugin is not there. */
static dx_device *sim_device(void)
{
#if defined(DOCEX_SIM_PLUGIN) && defined(DOCEX_DEFAULT_SCENE)
    static int tried;
    char settings[4200];
    dx_host_options o = {0};
    dx_error err = {0};

    if (tried)
        return sim_dev;
    tried = 1;
    if (getenv("DOCEX_FUZZ_NO_SIM") || access(DOCEX_SIM_PLUGIN, R_OK) != 0)
        return NULL;
    snprintf(settings, sizeof settings, "sim.scene=%s", DOCEX_DEFAULT_SCENE);
    o.only_files = DOCEX_SIM_PLUGIN;
    o.settings = settings;
    if (dx_host_new(&o, &sim_host, &err) != DX_OK ||
        dx_device_open(sim_host, "sim:0", &sim_dev, &err) != DX_OK) {
        fprintf(stderr, "fuzz_settings: no sim device (%s); dx_device_set_options not fuzzed\n",
                err.message);
        sim_cleanup();
        return NULL;
    }
    atexit(sim_cleanup);
    return sim_dev;
#else
    return NULL;
#endif
}

static void check_option(const dxp_option *o, const char *text)
{
    dxp_value v;
    dx_error err;
    dx_status st = dx_option_parse(o, text, &v, &err);

    if (st != DX_OK) {
        FUZZ_ASSERT(st == DX_ERR_INVALID_ARG || (st == DX_ERR_PROTOCOL && o->type == 99),
                    "option %s: status %d", o->name, (int)st);
        FUZZ_ASSERT(err.status == st && memchr(err.message, '\0', sizeof err.message),
                    "option %s: error not set", o->name);
        return;
    }
    FUZZ_ASSERT(v.type == o->type, "option %s: type %d", o->name, (int)v.type);
    switch (o->type) {
    case DXP_OPT_BOOL:
        FUZZ_ASSERT(v.i == 0 || v.i == 1, "bool %lld", (long long)v.i);
        break;
    case DXP_OPT_INT:
        FUZZ_ASSERT(v.i >= o->min_i && v.i <= o->max_i, "int %lld out of range",
                    (long long)v.i);
        break;
    case DXP_OPT_FLOAT:
        FUZZ_ASSERT(isfinite(v.f) && v.f >= o->min_f && v.f <= o->max_f, "float %g", v.f);
        break;
    case DXP_OPT_STRING:
        FUZZ_ASSERT(strcmp(v.s, text) == 0, "string not kept");
        break;
    case DXP_OPT_ENUM: {
        int found = 0;
        for (const char *const *c = o->choices; c && *c; c++)
            found |= strcmp(*c, v.s) == 0;
        FUZZ_ASSERT(found, "enum \"%s\" is no choice", v.s);
        break;
    }
    default:
        FUZZ_ASSERT(0, "unknown type accepted");
    }
}

static void check_log_levels(const char *text)
{
    dx_status st = dx_log_set_levels(text);
    FUZZ_ASSERT(st == DX_OK || st == DX_ERR_INVALID_ARG, "dx_log_set_levels: %d", (int)st);
    if (st == DX_OK) {
        /* use the rules just set */
        dx_log("loader", DX_LOG_DEBUG, "fuzz %s", "debug line");
        dx_log("sim", DX_LOG_TRACE, "fuzz line\nwith a newline");
        dx_log(NULL, DX_LOG_ERROR, "fuzz error");
        (void)dx_log_enabled("capture", DX_LOG_INFO);
    }
    FUZZ_ASSERT(dx_log_set_levels("warning") == DX_OK, "cannot restore the log level");
}

static void check_host_settings(const char *text)
{
    dx_host_options o = {0};
    dx_host *host = NULL;
    dx_error err = {0};
    dx_status st;

    o.only_files = "/nonexistent/docex-fuzz/no-plugin.so";
    o.settings = text;
    st = dx_host_new(&o, &host, &err);
    if (st != DX_OK) {
        FUZZ_ASSERT(st == DX_ERR_INVALID_ARG && !host, "dx_host_new: %d (%s)", (int)st,
                    err.message);
        return;
    }
    FUZZ_ASSERT(dx_host_plugin_count(host) == 0, "a plugin loaded");
    FUZZ_ASSERT(dx_host_get(host, "docex.version") != NULL, "docex.version lost");
    dx_host_free(host);
}

static void check_device_options(const char *text)
{
    dx_device *dev = sim_device();
    dx_error err = {0};
    dx_status st;
    if (!dev)
        return;
    st = dx_device_set_options(dev, text, &err);
    FUZZ_ASSERT(st == DX_OK || st == DX_ERR_INVALID_ARG || st == DX_ERR_NOT_FOUND,
                "dx_device_set_options: %d (%s)", (int)st, err.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    char *text;

    if (!once) {
        once = 1;
        if (!getenv("FUZZ_VERBOSE"))
            dx_log_set_handler(quiet_log, NULL);
    }
    if (size == 0)
        return 0;
    if (!(text = malloc(size)))
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    check_option(&options[data[0] % N_OPTIONS], text);
    check_log_levels(text);
    check_host_settings(text);
    check_device_options(text);

    free(text);
    return 0;
}
