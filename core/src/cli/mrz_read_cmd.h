/* docex mrz read — reading the MRZ from an image (dispatched from mrz_cmd.c). */
#ifndef DOCEX_CLI_MRZ_READ_CMD_H
#define DOCEX_CLI_MRZ_READ_CMD_H

#include "cli/cli.h"

/* argv[0] is "read".  Returns a DX_EXIT_* status: 0 the MRZ was read and
 * every check passes, 1 it was read and a check fails, 2 no MRZ found, the
 * file cannot be read, or a usage error. */
int dx_cmd_mrz_read(const dx_cli_globals *g, int argc, char **argv);

#endif
