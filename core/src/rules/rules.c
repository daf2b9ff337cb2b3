/* Rule sets: the check{} declaration API, loading a rule file into its
 * sandbox, and running the checks on a document into findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>

#include "rules/rules_internal.h"

typedef struct rule_check {
    dx_rules_check_info info;
    int run_ref; /* registry reference to run */
} rule_check;

struct dx_rules_set {
    dx_sandbox *sb;
    char *path;
    rule_check *checks;
    size_t n_checks, cap_checks;
    uint64_t check_budget, load_budget;
};

char *dx_rules_strdup(const char *s)
{
    size_t n;
    char *d;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void check_info_clear(dx_rules_check_info *c)
{
    free(c->id);
    free(c->notation.light);
    free(c->notation.property);
    free(c->notation.feature);
    free(c->where);
    memset(c, 0, sizeof *c);
}

static bool check_info_copy(dx_rules_check_info *d, const dx_rules_check_info *s)
{
    *d = *s;
    d->id = dx_rules_strdup(s->id);
    d->notation.light = dx_rules_strdup(s->notation.light);
    d->notation.property = dx_rules_strdup(s->notation.property);
    d->notation.feature = dx_rules_strdup(s->notation.feature);
    d->where = dx_rules_strdup(s->where);
    if (!d->id || !d->notation.light || !d->notation.property || !d->notation.feature ||
        !d->where) {
        check_info_clear(d);
        return false;
    }
    return true;
}

/* ---- check{} ------------------------------------------------------------ */

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

static const char *req_string(lua_State *L, int t, const char *k, const char *what)
{
    const char *s;
    if (lua_getfield(L, t, k) != LUA_TSTRING)
        luaL_error(L, "check: %s must be a string (got %s)", what, luaL_typename(L, -1));
    s = lua_tostring(L, -1);
    if (!*s)
        luaL_error(L, "check: %s is empty", what);
    lua_pop(L, 1); /* still referenced by the table */
    return s;
}

/* check{ id=, notation={light=, property=, feature=}, mode=, group=, run=,
 * [description=] } — validated here; errors name the caller's file:line. */
static int api_check(lua_State *L)
{
    dx_rules_set *rs = lua_touserdata(L, lua_upvalueindex(1));
    static const char *const known[] = {"id", "notation", "mode", "group", "run", "description", NULL};
    rule_check c;
    lua_Debug ar;
    char where[300];
    const char *id, *s;

    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "check: expected a table, check{ id = ..., ... }");
    lua_settop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        bool ok = false;
        if (lua_type(L, -2) == LUA_TSTRING)
            for (size_t i = 0; known[i]; i++)
                ok = ok || strcmp(lua_tostring(L, -2), known[i]) == 0;
        if (!ok) {
            lua_pushvalue(L, -2);
            return luaL_error(L, "check: unknown field \"%s\"", luaL_tolstring(L, -1, NULL));
        }
        lua_pop(L, 1);
    }
    id = req_string(L, 1, "id", "id");
    if (!id_ok(id))
        return luaL_error(L, "check \"%s\": id must be 1 to 63 of [a-z0-9_.-]", id);
    for (size_t i = 0; i < rs->n_checks; i++)
        if (strcmp(rs->checks[i].info.id, id) == 0)
            return luaL_error(L, "check \"%s\": declared twice (first at %s)", id,
                              rs->checks[i].info.where);
    memset(&c, 0, sizeof c);
    if (lua_getfield(L, 1, "notation") != LUA_TTABLE)
        return luaL_error(L, "check \"%s\": notation must be {light=, property=, feature=}", id);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING ||
            (strcmp(lua_tostring(L, -2), "light") && strcmp(lua_tostring(L, -2), "property") &&
             strcmp(lua_tostring(L, -2), "feature")))
            return luaL_error(L, "check \"%s\": notation has an unknown field", id);
        lua_pop(L, 1);
    }
    req_string(L, 2, "light", "notation.light");
    req_string(L, 2, "property", "notation.property");
    req_string(L, 2, "feature", "notation.feature");
    s = req_string(L, 1, "mode", "mode");
    if (!dx_rules_mode_parse(s, &c.info.mode))
        return luaL_error(L, "check \"%s\": mode \"%s\" is not mandatory, optional or evaluatory",
                          id, s);
    s = req_string(L, 1, "group", "group");
    if (!dx_rules_group_parse(s, &c.info.group))
        return luaL_error(L, "check \"%s\": group \"%s\" is not mrz, optical, chip or cross", id, s);
    if (lua_getfield(L, 1, "description") > LUA_TNIL && !lua_isstring(L, -1))
        return luaL_error(L, "check \"%s\": description must be a string", id);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "run") != LUA_TFUNCTION)
        return luaL_error(L, "check \"%s\": run must be a function(ctx)", id);
    lua_pop(L, 1);

    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.currentline);
    else
        snprintf(where, sizeof where, "%s", rs->path);
    if (rs->n_checks == rs->cap_checks) {
        size_t nc = rs->cap_checks ? rs->cap_checks * 2 : 16;
        rule_check *g = realloc(rs->checks, nc * sizeof *g);
        if (!g)
            return luaL_error(L, "check: out of memory");
        rs->checks = g;
        rs->cap_checks = nc;
    }
    /* strings first (C heap, no Lua call can raise in between) */
    lua_getfield(L, 1, "run");
    lua_getfield(L, 2, "light");
    lua_getfield(L, 2, "property");
    lua_getfield(L, 2, "feature");
    c.info.id = dx_rules_strdup(id);
    c.info.notation.light = dx_rules_strdup(lua_tostring(L, -3));
    c.info.notation.property = dx_rules_strdup(lua_tostring(L, -2));
    c.info.notation.feature = dx_rules_strdup(lua_tostring(L, -1));
    c.info.where = dx_rules_strdup(where);
    lua_pop(L, 3);
    if (!c.info.id || !c.info.notation.light || !c.info.notation.property ||
        !c.info.notation.feature || !c.info.where) {
        check_info_clear(&c.info);
        return luaL_error(L, "check: out of memory");
    }
    /* luaL_ref may raise (memory): keep the strings owned by the set first */
    c.run_ref = LUA_NOREF;
    rs->checks[rs->n_checks++] = c;
    rs->checks[rs->n_checks - 1].run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ---- open / free --------------------------------------------------------- */

dx_status dx_rules_open(const char *path, const dx_rules_options *opts, dx_rules_set **out,
                        dx_error *err)
{
    dx_rules_set *rs;
    dx_status st;
    char *msg = NULL, *tb = NULL;
    int status;
    FILE *f;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "%s: cannot open the rule file", path);
    fclose(f);
    rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->path = dx_rules_strdup(path))) {
        free(rs);
        return dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
    }
    rs->check_budget =
        opts && opts->check_budget ? opts->check_budget : DX_RULES_DEFAULT_CHECK_BUDGET;
    rs->load_budget = opts && opts->load_budget ? opts->load_budget : DX_RULES_DEFAULT_LOAD_BUDGET;
    st = dx_sandbox_new(opts, &rs->sb, err);
    if (st != DX_OK) {
        dx_rules_free(rs);
        return st;
    }
    lua_pushlightuserdata(rs->sb->L, rs);
    lua_pushcclosure(rs->sb->L, api_check, 1);
    lua_setglobal(rs->sb->L, "check");
    if (opts && opts->globals) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)opts->globals, k, v) {
            dx_sandbox_push_json(rs->sb->L, v);
            lua_setglobal(rs->sb->L, k);
        }
    }
    status = dx_sandbox_dofile(rs->sb, path, rs->load_budget, &msg, &tb);
    if (status != LUA_OK) {
        dx_error_set(err, DX_ERR_DATA, "%s", msg ? msg : "cannot load the rule file");
        if (tb)
            dx_log(DX_CAT_RULES, DX_LOG_DEBUG, "%s", tb);
        free(msg);
        free(tb);
        dx_rules_free(rs);
        return DX_ERR_DATA;
    }
    if (rs->n_checks == 0) {
        dx_rules_free(rs);
        return dx_error_set(err, DX_ERR_DATA, "%s: declares no check (check{...})", path);
    }
    dx_log(DX_CAT_RULES, DX_LOG_DEBUG, "%s: %zu checks", path, rs->n_checks);
    *out = rs;
    return DX_OK;
}

void dx_rules_free(dx_rules_set *rs)
{
    if (!rs)
        return;
    dx_sandbox_free(rs->sb);
    for (size_t i = 0; i < rs->n_checks; i++)
        check_info_clear(&rs->checks[i].info);
    free(rs->checks);
    free(rs->path);
    free(rs);
}

size_t dx_rules_count(const dx_rules_set *rs)
{
    return rs ? rs->n_checks : 0;
}

const dx_rules_check_info *dx_rules_check_at(const dx_rules_set *rs, size_t i)
{
    return rs && i < rs->n_checks ? &rs->checks[i].info : NULL;
}

size_t dx_rules_memory(const dx_rules_set *rs)
{
    return rs ? rs->sb->used : 0;
}

/* ---- results ----------------------------------------------------------- */

static void finding_clear(dx_rules_finding *f)
{
    check_info_clear(&f->check);
    free(f->value_text);
    free(f->expected_text);
    free((char *)f->region.feature);
    free((char *)f->region.light);
    free((char *)f->related.feature);
    free((char *)f->related.light);
    free(f->light);
    free(f->message);
    free(f->traceback);
    memset(f, 0, sizeof *f);
}

void dx_rules_report_clear(dx_rules_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_findings; i++)
        finding_clear(&report->findings[i]);
    free(report->findings);
    memset(report, 0, sizeof *report);
}

/* Field `key` of the result table (argument 2): a region handle or
 * {x=, y=, w=, h=} mm.  0 (set or absent), -1 when it is something else. */
static int read_region(lua_State *L, const char *key, bool *has, dx_rules_region_ref *out)
{
    int t = lua_getfield(L, 2, key), rc = 0;
    if (t != LUA_TNIL) {
        const dx_rules_region_ref *r = dx_rules_region_test(L, -1);
        if (r) {
            *has = true;
            out->rect = r->rect;
            out->feature = dx_rules_strdup(r->feature);
            out->light = dx_rules_strdup(r->light);
        } else if (t == LUA_TTABLE) {
            const char *k[4] = {"x", "y", "w", "h"};
            double v[4];
            for (int i = 0; i < 4 && rc == 0; i++) {
                if (lua_getfield(L, -1 - i, k[i]) != LUA_TNUMBER)
                    rc = -1;
                v[i] = lua_tonumber(L, -1);
            }
            lua_pop(L, 4);
            if (rc == 0) {
                *has = true;
                out->rect = (dx_rules_rect){v[0], v[1], v[2], v[3]};
            }
        } else {
            rc = -1;
        }
    }
    lua_pop(L, 1);
    return rc;
}

/* Read run()'s result table (argument 2) into the finding (argument 1,
 * light userdata).  Runs protected: an invalid result raises, and the caller
 * turns it into an aborted finding. */
static int read_result(lua_State *L)
{
    dx_rules_finding *f = lua_touserdata(L, 1);
    const char *s;
    int t;
    if (!lua_istable(L, 2))
        return luaL_error(L, "run must return a table {result = ...} (got %s)",
                          luaL_typename(L, 2));
    if (lua_getfield(L, 2, "result") != LUA_TSTRING ||
        !dx_rules_result_parse(lua_tostring(L, -1), &f->result))
        return luaL_error(L, "result must be passed, failed, undetermined or not_supported");
    if (f->result == DX_RULES_ABORTED)
        return luaL_error(L, "result \"aborted\" is the engine's, not a rule's");
    lua_pop(L, 1);
    t = lua_getfield(L, 2, "value");
    if (t == LUA_TNUMBER) {
        f->value_kind = DX_RULES_V_NUMBER;
        f->value = lua_tonumber(L, -1);
    } else if (t == LUA_TSTRING) {
        f->value_kind = DX_RULES_V_TEXT;
        f->value_text = dx_rules_strdup(lua_tostring(L, -1));
    } else if (t == LUA_TBOOLEAN) {
        f->value_kind = DX_RULES_V_TEXT;
        f->value_text = dx_rules_strdup(lua_toboolean(L, -1) ? "true" : "false");
    } else if (t != LUA_TNIL) {
        return luaL_error(L, "value must be a number or a string");
    }
    lua_pop(L, 1);
    t = lua_getfield(L, 2, "expected");
    if (t == LUA_TTABLE) {
        if (lua_getfield(L, -1, "min") == LUA_TNUMBER) {
            f->has_min = true;
            f->min = lua_tonumber(L, -1);
        }
        if (lua_getfield(L, -2, "max") == LUA_TNUMBER) {
            f->has_max = true;
            f->max = lua_tonumber(L, -1);
        }
        lua_pop(L, 2);
        if (!f->has_min && !f->has_max)
            return luaL_error(L, "expected must be {min=, max=} (one at least) or a text");
    } else if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        f->expected_text = dx_rules_strdup(lua_tostring(L, -1));
    } else if (t == LUA_TBOOLEAN) {
        f->expected_text = dx_rules_strdup(lua_toboolean(L, -1) ? "true" : "false");
    } else if (t != LUA_TNIL) {
        return luaL_error(L, "expected must be {min=, max=} or a text");
    }
    lua_pop(L, 1);
    if (read_region(L, "region", &f->has_region, &f->region) != 0 ||
        read_region(L, "related", &f->has_related, &f->related) != 0)
        return luaL_error(L, "region and related must be a region handle or {x=, y=, w=, h=} (mm)");
    t = lua_getfield(L, 2, "light");
    if (t == LUA_TSTRING)
        f->light = dx_rules_strdup(lua_tostring(L, -1));
    else if (t != LUA_TNIL)
        return luaL_error(L, "light must be a string");
    else if (f->has_region && f->region.light)
        f->light = dx_rules_strdup(f->region.light);
    lua_pop(L, 1);
    t = lua_getfield(L, 2, "message");
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        s = lua_tostring(L, -1);
        f->message = dx_rules_strdup(s);
    } else if (t != LUA_TNIL) {
        return luaL_error(L, "message must be a string");
    }
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void flatten(char *s)
{
    for (; s && *s; s++)
        if (*s == '\n')
            *s = ' ';
        else if (*s == '\t')
            *s = ' ';
}

static void abort_finding(dx_rules_finding *f, char *msg, char *tb)
{
    f->result = DX_RULES_ABORTED;
    f->value_kind = DX_RULES_V_NONE;
    free(f->message);
    free(f->traceback);
    f->message = msg;
    f->traceback = tb;
    {
        char *line = dx_rules_strdup(tb ? tb : "");
        flatten(line);
        /* the traceback starts with the message */
        dx_log(DX_CAT_RULES, DX_LOG_WARNING, "check %s (%s) aborted: %s", f->check.id,
               f->check.where, line && *line ? line : msg ? msg : "?");
        free(line);
    }
}

/* ctx is built once per run (document data copied into read-only tables). */
static int push_ctx(lua_State *L)
{
    dx_rules_ctx_push(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "docex.ctx");
    return 0;
}

dx_status dx_rules_run(dx_rules_set *rs, const dx_rules_provider *p, dx_rules_report *report,
                       dx_error *err)
{
    lua_State *L;
    char *msg = NULL, *tb = NULL;
    dx_rules_finding *grown;

    if (!rs || !report)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "rules: no rule set or report");
    L = rs->sb->L;
    grown = realloc(report->findings, (report->n_findings + rs->n_checks) * sizeof *grown);
    if (!grown)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
    report->findings = grown;
    rs->sb->provider = p;
    lua_settop(L, 0);
    lua_pushcfunction(L, push_ctx);
    if (dx_sandbox_call(rs->sb, 0, 0, rs->load_budget, &msg, &tb) != LUA_OK) {
        dx_error_set(err, DX_ERR_DATA, "rules: cannot give the document to %s: %s", rs->path,
                     msg ? msg : "?");
        free(msg);
        free(tb);
        rs->sb->provider = NULL;
        return DX_ERR_DATA;
    }

    for (size_t i = 0; i < rs->n_checks; i++) {
        dx_rules_finding *f = &report->findings[report->n_findings];
        double t0 = now_ms();
        int status;
        memset(f, 0, sizeof *f);
        if (!check_info_copy(&f->check, &rs->checks[i].info)) {
            rs->sb->provider = NULL;
            dx_rules_aggregate(report);
            return dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
        }
        report->n_findings++;
        lua_settop(L, 0);
        lua_rawgeti(L, LUA_REGISTRYINDEX, rs->checks[i].run_ref);
        lua_getfield(L, LUA_REGISTRYINDEX, "docex.ctx"); /* key interned: no allocation */
        status = dx_sandbox_call(rs->sb, 1, 1, rs->check_budget, &msg, &tb);
        if (status != LUA_OK) {
            abort_finding(f, msg, tb);
        } else {
            /* result table at 1: read it under protection, without budget */
            lua_pushcfunction(L, read_result);
            lua_pushlightuserdata(L, f);
            lua_pushvalue(L, 1);
            status = dx_sandbox_call(rs->sb, 2, 0, 0, &msg, &tb);
            if (status != LUA_OK) {
                char *m2 = malloc(strlen(msg ? msg : "") + 64);
                if (m2)
                    sprintf(m2, "invalid result from run: %s", msg ? msg : "");
                free(msg);
                /* the traceback of read_result says nothing about the rule */
                free(tb);
                abort_finding(f, m2, NULL);
            }
        }
        f->duration_ms = now_ms() - t0;
        dx_log(DX_CAT_RULES, DX_LOG_DEBUG, "check %s: %s (%.3f ms)", f->check.id,
               dx_rules_result_str(f->result), f->duration_ms);
        lua_settop(L, 0);
    }
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "docex.ctx");
    rs->sb->provider = NULL;
    lua_gc(L, LUA_GCCOLLECT);
    dx_rules_aggregate(report);
    return DX_OK;
}
