/* docex — the command line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*run)(const dx_cli_globals *g, int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"plugins", dx_cmd_plugins, "list loaded plugins (and the ones refused, with why)"},
    {"devices", dx_cmd_devices, "list devices: id, kinds, model, illuminations"},
    {"capture", dx_cmd_capture, "capture a set of images, one per illumination"},
    {"plugin-check", dx_cmd_plugin_check, "conformance kit: check a plugin .so"},
    {"mrz", dx_cmd_mrz, "parse, validate, or read from an image, an MRZ (ICAO 9303)"},
    {"chip", dx_cmd_chip, "read and verify an ePassport chip (BAC/PACE, passive and active authentication)"},
    {"inspect", dx_cmd_inspect, "inspect a document: captures, MRZ, chip, rules, verdict and reports"},
    {"rules", dx_cmd_rules, "Lua rule sets: run their unit tests"},
    {"synth", dx_cmd_synth, "make a synthetic Utopia document (scene), genuine or with defects"},
    {"specimen", dx_cmd_specimen, "list reference specimens, or show one: features, lights, regions"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: docex [--plugin-path DIRS] [--set KEY=VALUE]... COMMAND [ARGS]\n"
            "\n"
            "docex inspects passports and identity cards: it drives multispectral scanners,\n"
            "cameras and chip readers through vendor plugins and keeps hashed evidence.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "global options:\n"
            "  --plugin-path DIRS  extra plugin directories (colon separated), searched first\n"
            "  --set KEY=VALUE     a host setting, e.g. sim.scene=DIR (repeatable)\n"
            "  -h, --help          this help; `docex COMMAND --help` for a command's\n"
            "  --version           print the version\n"
            "\n"
            "environment: DOCEX_PLUGIN_PATH (plugin dirs), DOCEX_SET (\"k=v;k=v\"),\n"
            "DOCEX_DEBUG (log levels, e.g. \"info\" or \"loader:debug,sim:trace\"),\n"
            "DOCEX_DATA_DIR (data instead of the installed share/docex),\n"
            "DOCEX_CACHE_DIR (decoded reference images; \"off\": none; default\n"
            "$XDG_CACHE_HOME/docex, else ~/.cache/docex).\n"
            "\n"
            "exit status: 0 success, 1 a check or verification failed, 2 usage or runtime error\n");
}

void dx_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "docex%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static dx_host *cli_host;

static void free_host(void)
{
    dx_host_free(cli_host);
    cli_host = NULL;
}

dx_host *dx_cli_host(const dx_cli_globals *g)
{
    dx_error err = {0};
    dx_host_options opts = {.plugin_path = g->plugin_path, .settings = g->settings};
    if (cli_host)
        return cli_host;
    if (dx_host_new(&opts, &cli_host, &err) != DX_OK) {
        dx_cli_error(NULL, "cannot start the host: %s", err.message);
        return NULL;
    }
    /* the GStreamer element (dxsrc) uses the process-wide host: make it ours */
    dx_host_set_default(cli_host);
    atexit(free_host);
    return cli_host;
}

int main(int argc, char **argv)
{
    dx_cli_globals g = {0};
    char *settings = NULL;
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(settings);
            return DX_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("docex %s (plugin ABI %d.%d)\n", dx_version(), DXP_ABI_MAJOR, DXP_ABI_MINOR);
            free(settings);
            return DX_EXIT_OK;
        } else if (strcmp(a, "--plugin-path") == 0 || strcmp(a, "--set") == 0) {
            if (i + 1 >= argc) {
                dx_cli_error(NULL, "%s needs a value", a);
                free(settings);
                return DX_EXIT_ERROR;
            }
            if (a[2] == 'p') {
                g.plugin_path = argv[++i];
            } else {
                const char *kv = argv[++i];
                size_t old = settings ? strlen(settings) : 0;
                char *grown;
                if (!strchr(kv, '=') || kv[0] == '=') {
                    dx_cli_error(NULL, "--set %s: expected KEY=VALUE", kv);
                    free(settings);
                    return DX_EXIT_ERROR;
                }
                grown = realloc(settings, old + strlen(kv) + 2);
                if (!grown) {
                    free(settings);
                    return DX_EXIT_ERROR;
                }
                settings = grown;
                sprintf(settings + old, "%s%s", old ? ";" : "", kv);
            }
        } else if (a[0] == '-') {
            dx_cli_error(NULL, "unknown option %s (see docex --help)", a);
            free(settings);
            return DX_EXIT_ERROR;
        } else {
            break;
        }
    }
    g.settings = settings;
    if (i >= argc) {
        usage(stderr);
        free(settings);
        return DX_EXIT_ERROR;
    }
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(argv[i], commands[c].name) == 0) {
            rc = commands[c].run(&g, argc - i, argv + i);
            free_host();
            free(settings);
            return rc;
        }
    dx_cli_error(NULL, "unknown command \"%s\" (see docex --help)", argv[i]);
    free(settings);
    return DX_EXIT_ERROR;
}
