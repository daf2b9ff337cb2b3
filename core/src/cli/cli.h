/* docex CLI — commands and shared helpers. */
#ifndef DOCEX_CLI_H
#define DOCEX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "docex/docex.h"

/* Exit statuses of every command. */
enum {
    DX_EXIT_OK = 0,      /* success */
    DX_EXIT_FAILED = 1,  /* a check or verification failed */
    DX_EXIT_ERROR = 2    /* usage or runtime error */
};

/* Global options parsed before the command name. */
typedef struct dx_cli_globals {
    const char *plugin_path; /* --plugin-path DIRS */
    const char *settings;    /* --set k=v (joined with ';') */
} dx_cli_globals;

/* The process host for commands that need one (made once, with the globals). */
dx_host *dx_cli_host(const dx_cli_globals *g);

/* Print "docex CMD: MESSAGE" on stderr (one line). */
void dx_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each command: argv[0] is the command name.  Returns a DX_EXIT_* status. */
int dx_cmd_plugins(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_devices(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_capture(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_plugin_check(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_mrz(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_synth(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_chip(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_specimen(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_rules(const dx_cli_globals *g, int argc, char **argv);
int dx_cmd_inspect(const dx_cli_globals *g, int argc, char **argv);

#endif
