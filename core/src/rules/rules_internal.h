/* Rule engine internals shared by the files of core/src/rules. */
#ifndef DOCEX_RULES_INTERNAL_H
#define DOCEX_RULES_INTERNAL_H

#include <lua.h>

#include "rules/rules.h"

#define DX_RULES_DEFAULT_MEM (64u * 1024u * 1024u)
#define DX_RULES_DEFAULT_CHECK_BUDGET 50000000u
#define DX_RULES_DEFAULT_LOAD_BUDGET 10000000u

/* One sandbox: a lua_State with its allocator accounting and budget. */
typedef struct dx_sandbox {
    lua_State *L;
    size_t used, limit;
    bool mem_hit;            /* an allocation was refused since the last reset */
    bool budget_hit;         /* the instruction budget ran out since the last reset */
    uint64_t budget;         /* of the current call */
    char *lib_dir;
    const dx_rules_provider *provider; /* during dx_rules_run only */
} dx_sandbox;

/* sandbox.c */
dx_status dx_sandbox_new(const dx_rules_options *opts, dx_sandbox **out, dx_error *err);
void dx_sandbox_free(dx_sandbox *sb);
dx_sandbox *dx_sandbox_of(lua_State *L);
/* Call the function below `nargs` arguments on the stack under the budget
 * (0: none) and a traceback handler.  Returns the lua status; on error the
 * stack holds nothing of the call and *message / *traceback (malloc'd, may be
 * NULL) say why: budget and memory cap errors are named as such. */
int dx_sandbox_call(dx_sandbox *sb, int nargs, int nresults, uint64_t budget, char **message,
                    char **traceback);
/* Load and run a file in text mode in the sandbox (chunk name "@path"). */
int dx_sandbox_dofile(dx_sandbox *sb, const char *path, uint64_t budget, char **message,
                      char **traceback);
/* Push a JSON value as read-only Lua data (tables become proxies). */
void dx_sandbox_push_json(lua_State *L, const json_t *j);
/* Wrap the table at the top into a read-only proxy (replaces it). */
void dx_sandbox_readonly(lua_State *L);
/* Convert the Lua value at idx into JSON (tables: arrays when they are
 * sequences, else objects with string keys; functions and userdata refused). */
json_t *dx_sandbox_to_json(lua_State *L, int idx, dx_error *err);

/* ctx.c */
/* Register the region and capture metatables (once per state). */
void dx_rules_ctx_register(lua_State *L);
/* Push a read-only ctx for the provider in sb->provider. */
void dx_rules_ctx_push(lua_State *L);
/* Region userdata at idx (or NULL): its reference. */
const dx_rules_region_ref *dx_rules_region_test(lua_State *L, int idx);

/* rules.c */
char *dx_rules_strdup(const char *s);

#endif
