/* Rule unit tests (docex rules test): a test file NAME_test.lua, run in a
 * sandbox of its own, describes documents made of literal values with
 * fixture{...} and the findings expected on each with expect{...}; the rule
 * set NAME.lua runs on each fixture through a fixture provider and the
 * findings are compared (YARA's assert_true_rule, for document checks).
 *
 *   rules "other.lua"                     -- optional: the rule set, beside the test
 *   globals{ SPECIMEN = {...} }           -- optional: the rule set's load-time globals
 *   fixture{ name = "genuine",
 *            specimen = { id = "UTO-P-2024", features = {...} },
 *            mrz = { valid = true, fields = {...} }, chip = {...},
 *            captures = { "white", "uv365" },          -- default: lights measured
 *            measurements = { mrz = { ir870 = { absorption = 0.8 } },
 *                             ["10,20,30,5"] = { uv365 = { mean = 0.1 } } } }
 *   expect{ check = "mrz_ir_absorbent", result = "passed" [, message = "text"] }
 *   expect{ verdict = "failed" }   expect{ group = "optical", result = "failed" }
 *
 * A measurement is a number, a table of named numbers (stats; with `value`,
 * the number a method returns before its details), false (not supported) or
 * a string (the measurement fails with that message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "rules/rules_internal.h"

/* ---- the fixture provider ---------------------------------------------- */

static json_t *fx_document(void *user, const char *part)
{
    json_t *j = json_object_get(user, part);
    return j && !json_is_null(j) ? j : NULL;
}

static bool fx_capture(void *user, const char *light, dx_rules_capture_info *out)
{
    json_t *caps = json_object_get(user, "captures"), *ms, *v;
    const char *k;
    size_t i;
    bool found = false;
    if (json_is_array(caps)) {
        json_array_foreach(caps, i, v) found = found || (json_is_string(v) && strcmp(json_string_value(v), light) == 0);
    } else if ((ms = json_object_get(user, "measurements")) && json_is_object(ms)) {
        json_object_foreach(ms, k, v) found = found || json_object_get(v, light) != NULL;
    }
    if (found) {
        json_t *dpi = json_object_get(user, "dpi");
        out->dpi = json_is_number(dpi) ? json_number_value(dpi) : 0;
    }
    return found;
}

static dx_status fx_measure(void *user, dx_rules_measure what, const dx_rules_region_ref *region,
                            const dx_rules_region_ref *other, dx_rules_measurement *out,
                            dx_error *err)
{
    char key[128];
    const char *light = region->light ? region->light : "default";
    const char *name = dx_rules_measure_str(what);
    json_t *v;
    (void)other;
    if (region->feature)
        snprintf(key, sizeof key, "%s", region->feature);
    else
        snprintf(key, sizeof key, "%g,%g,%g,%g", region->rect.x, region->rect.y, region->rect.w,
                 region->rect.h);
    v = json_object_get(json_object_get(json_object_get(json_object_get(user, "measurements"), key),
                                        light),
                        name);
    if (json_is_number(v)) {
        out->value = json_number_value(v);
        return DX_OK;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (!json_is_number(x) || out->n_fields == DX_RULES_MAX_FIELDS)
                continue;
            snprintf(out->fields[out->n_fields].name, sizeof out->fields[0].name, "%s", k);
            out->fields[out->n_fields++].value = json_number_value(x);
        }
        /* {value = v, detail = ...}: the method's number and its details */
        if (json_is_number(json_object_get(v, "value")))
            out->value = json_number_value(json_object_get(v, "value"));
        return DX_OK;
    }
    if (json_is_string(v))
        return dx_error_set(err, DX_ERR_IO, "%s", json_string_value(v));
    return dx_error_set(err, DX_ERR_UNSUPPORTED, "the fixture has no %s of %s under %s", name, key,
                        light);
}

/* ---- the test file's API --------------------------------------------------- */

static void where_of_caller(lua_State *L, char *buf, size_t size)
{
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        snprintf(buf, size, "%s:%d", ar.short_src, ar.currentline);
    else
        snprintf(buf, size, "?");
}

/* registry "docex.fixtures" = { {data=, where=, expects={ {tbl, where}... }}... } */
static int api_fixture(lua_State *L)
{
    char where[300];
    luaL_checktype(L, 1, LUA_TTABLE);
    where_of_caller(L, where, sizeof where);
    lua_getfield(L, LUA_REGISTRYINDEX, "docex.fixtures");
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "data");
    lua_pushstring(L, where);
    lua_setfield(L, -2, "where");
    lua_newtable(L);
    lua_setfield(L, -2, "expects");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int api_expect(lua_State *L)
{
    char where[300];
    dx_rules_result r;
    luaL_checktype(L, 1, LUA_TTABLE);
    where_of_caller(L, where, sizeof where);
    if (lua_getfield(L, 1, "verdict") == LUA_TSTRING) {
        if (!dx_rules_result_parse(lua_tostring(L, -1), &r))
            return luaL_error(L, "expect: unknown verdict \"%s\"", lua_tostring(L, -1));
    } else {
        if (lua_getfield(L, 1, "result") != LUA_TSTRING ||
            !dx_rules_result_parse(lua_tostring(L, -1), &r))
            return luaL_error(L, "expect: result must be passed, failed, undetermined, aborted "
                                 "or not_supported");
        if (lua_getfield(L, 1, "check") != LUA_TSTRING && lua_getfield(L, 1, "group") != LUA_TSTRING)
            return luaL_error(L, "expect: needs check = \"id\", group = \"name\" or verdict = ...");
    }
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "docex.fixtures");
    if (lua_rawgeti(L, -1, (lua_Integer)lua_rawlen(L, -1)) != LUA_TTABLE)
        return luaL_error(L, "expect: no fixture{} before it");
    lua_getfield(L, -1, "expects");
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "t");
    lua_pushstring(L, where);
    lua_setfield(L, -2, "where");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int api_globals(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "docex.globals");
    return 0;
}

static int api_rules(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "docex.ruleset");
    return 0;
}

/* ---- running ----------------------------------------------------------- */

void dx_rules_test_result_clear(dx_rules_test_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_outcomes; i++) {
        free(r->outcomes[i].where);
        free(r->outcomes[i].what);
        free(r->outcomes[i].detail);
    }
    free(r->outcomes);
    free(r->test_file);
    free(r->rule_file);
    memset(r, 0, sizeof *r);
}

static bool add_outcome(dx_rules_test_result *r, const char *where, const char *what, bool ok,
                        const char *detail)
{
    dx_rules_test_outcome *g = realloc(r->outcomes, (r->n_outcomes + 1) * sizeof *g);
    if (!g)
        return false;
    r->outcomes = g;
    g = &r->outcomes[r->n_outcomes++];
    g->where = dx_rules_strdup(where);
    g->what = dx_rules_strdup(what);
    g->ok = ok;
    g->detail = detail ? dx_rules_strdup(detail) : NULL;
    if (!ok)
        r->n_failed++;
    return true;
}

/* Compare the expect{} table at the top of the stack with the report. */
static bool compare(lua_State *L, const dx_rules_report *rep, const char *where,
                    dx_rules_test_result *res)
{
    int t = lua_gettop(L);
    char what[200], detail[1200];
    dx_rules_result want, got = DX_RULES_NOT_SUPPORTED;
    const char *msg = NULL;
    bool ok;
    if (lua_getfield(L, t, "verdict") == LUA_TSTRING) {
        dx_rules_result_parse(lua_tostring(L, -1), &want);
        got = rep->verdict;
        snprintf(what, sizeof what, "verdict");
    } else if (lua_getfield(L, t, "check") == LUA_TSTRING) {
        const char *id = lua_tostring(L, -1);
        const dx_rules_finding *f = NULL;
        lua_getfield(L, t, "result");
        dx_rules_result_parse(lua_tostring(L, -1), &want);
        snprintf(what, sizeof what, "check %s", id);
        for (size_t i = 0; i < rep->n_findings; i++)
            if (strcmp(rep->findings[i].check.id, id) == 0)
                f = &rep->findings[i];
        if (!f) {
            snprintf(detail, sizeof detail, "the rule set has no check \"%s\"", id);
            lua_settop(L, t);
            return add_outcome(res, where, what, false, detail);
        }
        got = f->result;
        msg = f->message;
        if (lua_getfield(L, t, "message") == LUA_TSTRING && want == got) {
            const char *sub = lua_tostring(L, -1);
            if (!msg || !strstr(msg, sub)) {
                snprintf(detail, sizeof detail, "result %s, but the message \"%s\" lacks \"%s\"",
                         dx_rules_result_str(got), msg ? msg : "", sub);
                lua_settop(L, t);
                return add_outcome(res, where, what, false, detail);
            }
        }
    } else {
        dx_rules_group g;
        lua_getfield(L, t, "group");
        if (!dx_rules_group_parse(lua_tostring(L, -1), &g)) {
            snprintf(detail, sizeof detail, "unknown group \"%s\"", lua_tostring(L, -1));
            lua_settop(L, t);
            return add_outcome(res, where, "group", false, detail);
        }
        snprintf(what, sizeof what, "group %s", dx_rules_group_str(g));
        lua_getfield(L, t, "result");
        dx_rules_result_parse(lua_tostring(L, -1), &want);
        got = rep->groups[g];
    }
    lua_settop(L, t);
    ok = want == got;
    if (!ok)
        snprintf(detail, sizeof detail, "expected %s, got %s%s%s", dx_rules_result_str(want),
                 dx_rules_result_str(got), msg ? ": " : "", msg ? msg : "");
    return add_outcome(res, where, what, ok, ok ? NULL : detail);
}

static char *sibling(const char *file, const char *name)
{
    const char *slash = strrchr(file, '/');
    size_t dl = slash ? (size_t)(slash - file + 1) : 0;
    char *p = malloc(dl + strlen(name) + 1);
    if (p) {
        memcpy(p, file, dl);
        strcpy(p + dl, name);
    }
    return p;
}

dx_status dx_rules_test_file(const char *test_path, const dx_rules_options *opts,
                             dx_rules_test_result *out, dx_error *err)
{
    dx_sandbox *tsb = NULL;
    dx_rules_set *rs = NULL;
    lua_State *L;
    char *msg = NULL, *tb = NULL;
    dx_status st;
    size_t n_fix;

    memset(out, 0, sizeof *out);
    out->test_file = dx_rules_strdup(test_path);
    st = dx_sandbox_new(opts, &tsb, err);
    if (st != DX_OK)
        goto fail;
    L = tsb->L;
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "docex.fixtures");
    lua_register(L, "fixture", api_fixture);
    lua_register(L, "expect", api_expect);
    lua_register(L, "rules", api_rules);
    lua_register(L, "globals", api_globals);
    if (dx_sandbox_dofile(tsb, test_path, DX_RULES_DEFAULT_LOAD_BUDGET, &msg, &tb) != LUA_OK) {
        st = dx_error_set(err, DX_ERR_DATA, "%s", msg ? msg : test_path);
        goto fail;
    }
    /* the rule set: rules "x.lua", else NAME.lua for NAME_test.lua */
    if (lua_getfield(L, LUA_REGISTRYINDEX, "docex.ruleset") == LUA_TSTRING) {
        const char *n = lua_tostring(L, -1);
        if (strchr(n, '/') || strstr(n, "..")) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: rules \"%s\": a file beside the test only",
                              test_path, n);
            goto fail;
        }
        out->rule_file = sibling(test_path, n);
    } else {
        size_t n = strlen(test_path);
        if (n < 10 || strcmp(test_path + n - 9, "_test.lua") != 0) {
            st = dx_error_set(err, DX_ERR_DATA, "%s: not a NAME_test.lua file", test_path);
            goto fail;
        }
        out->rule_file = malloc(n);
        if (out->rule_file) {
            memcpy(out->rule_file, test_path, n - 9);
            strcpy(out->rule_file + n - 9, ".lua");
        }
    }
    lua_pop(L, 1);
    if (!out->rule_file || !out->test_file) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
        goto fail;
    }
    if (lua_getfield(L, LUA_REGISTRYINDEX, "docex.globals") == LUA_TTABLE) {
        json_t *g = dx_sandbox_to_json(L, -1, err);
        dx_rules_options o2 = {0};
        lua_pop(L, 1);
        if (!g) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err ? err->message : "?");
            st = dx_error_set(err, DX_ERR_DATA, "%s: globals: %s", test_path, why);
            goto fail;
        }
        if (opts)
            o2 = *opts;
        o2.globals = g;
        st = dx_rules_open(out->rule_file, &o2, &rs, err);
        json_decref(g);
    } else {
        lua_pop(L, 1);
        st = dx_rules_open(out->rule_file, opts, &rs, err);
    }
    if (st != DX_OK)
        goto fail;

    lua_getfield(L, LUA_REGISTRYINDEX, "docex.fixtures");
    n_fix = lua_rawlen(L, -1);
    if (n_fix == 0) {
        st = dx_error_set(err, DX_ERR_DATA, "%s: no fixture{}", test_path);
        goto fail;
    }
    for (size_t i = 1; i <= n_fix; i++) {
        dx_rules_report rep = {0};
        dx_rules_provider p = {0};
        json_t *data;
        char fwhere[300];
        size_t n_exp;
        int fix = lua_gettop(L) + 1;
        lua_rawgeti(L, -1, (lua_Integer)i);
        lua_getfield(L, fix, "where");
        snprintf(fwhere, sizeof fwhere, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        lua_getfield(L, fix, "data");
        data = dx_sandbox_to_json(L, -1, err);
        lua_pop(L, 1);
        if (!data) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err ? err->message : "?");
            st = dx_error_set(err, DX_ERR_DATA, "%s: fixture: %s", fwhere, why);
            goto fail;
        }
        p.user = data;
        p.document = fx_document;
        p.capture = fx_capture;
        p.measure = fx_measure;
        st = dx_rules_run(rs, &p, &rep, err);
        out->n_fixtures++;
        if (st != DX_OK) {
            json_decref(data);
            dx_rules_report_clear(&rep);
            goto fail;
        }
        lua_getfield(L, fix, "expects");
        n_exp = lua_rawlen(L, -1);
        if (n_exp == 0)
            add_outcome(out, fwhere, "fixture", false, "no expect{} after this fixture");
        for (size_t e = 1; e <= n_exp; e++) {
            char ewhere[300];
            lua_rawgeti(L, -1, (lua_Integer)e);
            lua_getfield(L, -1, "where");
            snprintf(ewhere, sizeof ewhere, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            lua_getfield(L, -1, "t");
            if (!compare(L, &rep, ewhere, out)) {
                json_decref(data);
                dx_rules_report_clear(&rep);
                st = dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
                goto fail;
            }
            lua_pop(L, 2);
        }
        lua_settop(L, fix - 1);
        json_decref(data);
        dx_rules_report_clear(&rep);
    }
    dx_rules_free(rs);
    dx_sandbox_free(tsb);
    return DX_OK;
fail:
    free(msg);
    free(tb);
    dx_rules_free(rs);
    dx_sandbox_free(tsb);
    return st;
}
