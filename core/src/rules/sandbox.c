/* The Lua sandbox of a rule set: whitelisted libraries, text-only loading, a
 * require() confined to the rule library directory, a memory cap (the
 * allocator refuses beyond it) and an instruction budget (count hook). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "rules/rules_internal.h"

/* ---- allocator: the memory cap ----------------------------------------- */

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    dx_sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    void *p;

    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && sb->used - old + nsize > sb->limit) {
        sb->mem_hit = true;
        return NULL; /* Lua collects and retries, then raises a memory error */
    }
    p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    sb->used = sb->used - old + nsize;
    return p;
}

dx_sandbox *dx_sandbox_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* ---- instruction budget ------------------------------------------------ */

static void sb_hook(lua_State *L, lua_Debug *ar)
{
    dx_sandbox *sb = dx_sandbox_of(L);
    (void)ar;
    if (!sb->budget_hit) {
        sb->budget_hit = true;
        /* from now on every instruction raises: a rule that catches the
         * error with pcall cannot go on */
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
    }
    luaL_where(L, 0);
    lua_pushfstring(L, "instruction budget of %I instructions exceeded", (lua_Integer)sb->budget);
    lua_concat(L, 2);
    lua_error(L);
}

/* ---- replaced base functions ------------------------------------------- */

/* load(chunk [, name [, mode [, env]]]) in text mode only. */
static int sb_load(lua_State *L)
{
    const char *mode = luaL_optstring(L, 3, "t");
    size_t len;
    const char *s;
    const char *name;
    int status;
    if (strcmp(mode, "t") != 0)
        return luaL_error(L, "load: only text chunks (mode \"t\") are allowed");
    s = luaL_checklstring(L, 1, &len); /* functions as readers are refused */
    name = luaL_optstring(L, 2, s);
    status = luaL_loadbufferx(L, s, len, name, "t");
    if (status != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (!lua_isnone(L, 4)) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

static int sb_collectgarbage(lua_State *L)
{
    static const char *const opts[] = {"collect", "count", "step", "isrunning", NULL};
    int o = luaL_checkoption(L, 1, "collect", opts);
    switch (o) {
    case 0:
        lua_gc(L, LUA_GCCOLLECT);
        lua_pushinteger(L, 0);
        return 1;
    case 1: {
        int k = lua_gc(L, LUA_GCCOUNT), b = lua_gc(L, LUA_GCCOUNTB);
        lua_pushnumber(L, (lua_Number)k + ((lua_Number)b / 1024));
        return 1;
    }
    case 2:
        lua_pushboolean(L, lua_gc(L, LUA_GCSTEP, 0));
        return 1;
    default:
        lua_pushboolean(L, lua_gc(L, LUA_GCISRUNNING));
        return 1;
    }
}

static int sb_print(lua_State *L)
{
    luaL_Buffer b;
    int n = lua_gettop(L);
    lua_Debug ar;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        dx_log(DX_CAT_RULES, DX_LOG_INFO, "%s:%d: %s", ar.short_src, ar.currentline,
               lua_tostring(L, -1));
    else
        dx_log(DX_CAT_RULES, DX_LOG_INFO, "%s", lua_tostring(L, -1));
    return 0;
}

/* require(name): <lib_dir>/<name>.lua, dots as directory separators, names of
 * [a-z0-9_] components only; loaded once per sandbox. */
static int sb_require(lua_State *L)
{
    dx_sandbox *sb = dx_sandbox_of(L);
    const char *name = luaL_checkstring(L, 1);
    size_t n = strlen(name);
    char *path;
    bool ok = n > 0 && n <= 128 && name[0] != '.' && name[n - 1] != '.';
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
             (c == '.' && name[i + 1] != '.');
    }
    if (!ok)
        return luaL_error(L, "require \"%s\": refused (a library name is [a-z0-9_.], no path)",
                          name);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "docex.loaded"); /* 2 */
    if (lua_getfield(L, 2, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    {
        /* <lib_dir>/a/b.lua for "a.b"; chunk name "@lib/a/b.lua" */
        luaL_Buffer b;
        struct stat st;
        FILE *f;
        char *src;
        size_t got;
        luaL_buffinit(L, &b);
        for (size_t i = 0; i < n; i++)
            luaL_addchar(&b, name[i] == '.' ? '/' : name[i]);
        luaL_pushresult(&b);                                         /* 3 */
        lua_pushfstring(L, "%s/%s.lua", sb->lib_dir, lua_tostring(L, 3)); /* 4 */
        lua_pushfstring(L, "@lib/%s.lua", lua_tostring(L, 3));      /* 5 */
        path = (char *)lua_tostring(L, 4);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            return luaL_error(L, "require \"%s\": no such library in scripts/lib", name);
        /* the buffer is Lua's before the file opens: nothing leaks if it raises */
        src = lua_newuserdatauv(L, (size_t)st.st_size + 1, 0);     /* 6 */
        f = fopen(path, "rb");
        if (!f)
            return luaL_error(L, "require \"%s\": %s", name, strerror(errno));
        got = fread(src, 1, (size_t)st.st_size, f);
        fclose(f);
        if (luaL_loadbufferx(L, src, got, lua_tostring(L, 5), "t") != LUA_OK) /* 7 */
            return lua_error(L);
    }
    lua_pushstring(L, name);
    lua_call(L, 1, 1); /* 7: the module */
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);
    return 1;
}

/* ---- setup ------------------------------------------------------------- */

static int sb_setup(lua_State *L)
{
    static const char *const base_removed[] = {"dofile", "loadfile", "load", "rawset",
                                               "collectgarbage", "print", "warn", "require",
                                               NULL};
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_settop(L, 0);
    for (size_t i = 0; base_removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, base_removed[i]);
    }
    lua_pushcfunction(L, sb_load);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, sb_collectgarbage);
    lua_setglobal(L, "collectgarbage");
    lua_pushcfunction(L, sb_print);
    lua_setglobal(L, "print");
    lua_pushcfunction(L, sb_require);
    lua_setglobal(L, "require");
    /* string.dump makes bytecode, which nothing here loads anyway */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    /* math.random is fine (seeded by Lua); nothing from package, io, os, debug */
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "docex.loaded");
    /* the _LOADED table luaL_requiref keeps would give the libraries back
     * through nothing the rules can reach; leave it */
    dx_rules_ctx_register(L);
    return 0;
}

dx_status dx_sandbox_new(const dx_rules_options *opts, dx_sandbox **out, dx_error *err)
{
    dx_sandbox *sb = calloc(1, sizeof *sb);
    const char *lib = opts && opts->lib_dir ? opts->lib_dir : NULL;
    char *libbuf = NULL;
    *out = NULL;
    if (!sb)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
    if (!lib) {
        const char *dd = dx_datadir();
        size_t n = strlen(dd ? dd : ".") + sizeof "/scripts/lib";
        libbuf = malloc(n);
        if (!libbuf)
            goto nomem;
        snprintf(libbuf, n, "%s/scripts/lib", dd ? dd : ".");
        sb->lib_dir = libbuf;
    } else {
        sb->lib_dir = dx_rules_strdup(lib);
        if (!sb->lib_dir)
            goto nomem;
    }
    sb->limit = opts && opts->mem_limit ? opts->mem_limit : DX_RULES_DEFAULT_MEM;
    sb->L = lua_newstate(sb_alloc, sb);
    if (!sb->L)
        goto nomem;
    lua_pushcfunction(sb->L, sb_setup);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        dx_error_set(err, DX_ERR_NO_MEMORY, "rules: cannot set up the sandbox: %s",
                     lua_tostring(sb->L, -1));
        dx_sandbox_free(sb);
        return err ? err->status : DX_ERR_NO_MEMORY;
    }
    *out = sb;
    return DX_OK;
nomem:
    dx_sandbox_free(sb);
    return dx_error_set(err, DX_ERR_NO_MEMORY, "rules: out of memory");
}

void dx_sandbox_free(dx_sandbox *sb)
{
    if (!sb)
        return;
    if (sb->L)
        lua_close(sb->L);
    free(sb->lib_dir);
    free(sb);
}

/* ---- protected calls ------------------------------------------------------ */

static int sb_msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int dx_sandbox_call(dx_sandbox *sb, int nargs, int nresults, uint64_t budget, char **message,
                    char **traceback)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs; /* the function's index */
    int status;
    *message = NULL;
    if (traceback)
        *traceback = NULL;
    sb->mem_hit = false;
    sb->budget_hit = false;
    sb->budget = budget;
    lua_pushcfunction(L, sb_msgh);
    lua_insert(L, base);
    if (budget)
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, budget > INT32_MAX ? INT32_MAX : (int)budget);
    status = lua_pcall(L, nargs, nresults, base);
    lua_sethook(L, NULL, 0, 0);
    if (status == LUA_OK && (sb->budget_hit || sb->mem_hit)) {
        /* the rule caught the error itself: still an abort */
        lua_pop(L, nresults == LUA_MULTRET ? lua_gettop(L) - base : nresults);
        if (sb->budget_hit)
            lua_pushfstring(L, "instruction budget of %I instructions exceeded (the rule caught "
                               "the error)", (lua_Integer)budget);
        else
            lua_pushfstring(L, "memory cap of %I bytes exceeded (the rule caught the error)",
                            (lua_Integer)sb->limit);
        *message = dx_rules_strdup(lua_tostring(L, -1));
        lua_settop(L, base - 1);
        lua_gc(L, LUA_GCCOLLECT);
        return LUA_ERRRUN;
    }
    if (status != LUA_OK) {
        size_t len = 0;
        const char *m = lua_tolstring(L, -1, &len);
        const char *tb = m ? strstr(m, "\nstack traceback:") : NULL;
        char buf[160];
        if (status == LUA_ERRMEM || (sb->mem_hit && !sb->budget_hit)) {
            snprintf(buf, sizeof buf, "memory cap of %zu bytes exceeded (%s)", sb->limit,
                     m ? (tb ? "not enough memory" : m) : "not enough memory");
            *message = dx_rules_strdup(buf);
        } else if (m) {
            *message = dup_range(m, tb ? (size_t)(tb - m) : len);
        } else {
            *message = dx_rules_strdup("error without a message");
        }
        if (traceback && m && tb)
            *traceback = dx_rules_strdup(m);
        lua_settop(L, base - 1);
        if (status == LUA_ERRMEM || sb->mem_hit)
            lua_gc(L, LUA_GCCOLLECT);
        return status;
    }
    lua_remove(L, base);
    return LUA_OK;
}

int dx_sandbox_dofile(dx_sandbox *sb, const char *path, uint64_t budget, char **message,
                      char **traceback)
{
    lua_State *L = sb->L;
    FILE *f = fopen(path, "rb");
    char *src = NULL;
    size_t len = 0, cap = 0, got;
    int status;
    *message = NULL;
    if (traceback)
        *traceback = NULL;
    if (!f) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s: %s", path, strerror(errno));
        *message = dx_rules_strdup(buf);
        return LUA_ERRFILE;
    }
    for (;;) {
        if (len + 4096 > cap) {
            char *g = realloc(src, cap = cap ? cap * 2 : 8192);
            if (!g) {
                free(src);
                fclose(f);
                *message = dx_rules_strdup("out of memory");
                return LUA_ERRMEM;
            }
            src = g;
        }
        got = fread(src + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    fclose(f);
    {
        char name[600];
        snprintf(name, sizeof name, "@%s", path);
        sb->mem_hit = false;
        status = luaL_loadbufferx(L, src ? src : "", len, name, "t");
    }
    free(src);
    if (status != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        *message = dx_rules_strdup(m ? m : "cannot load");
        lua_pop(L, 1);
        return status;
    }
    return dx_sandbox_call(sb, 0, 0, budget, message, traceback);
}

/* ---- read-only data ---------------------------------------------------- */

static int ro_newindex(lua_State *L)
{
    return luaL_error(L, "document data is read-only");
}

static int ro_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

static int ro_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int ro_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, ro_next, 1); /* the real table stays an upvalue */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

void dx_sandbox_readonly(lua_State *L)
{
    int real = lua_gettop(L);
    lua_newtable(L); /* proxy */
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, real);
    lua_pushcclosure(L, ro_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushvalue(L, real);
    lua_pushcclosure(L, ro_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_replace(L, real);
}

void dx_sandbox_push_json(lua_State *L, const json_t *j)
{
    luaL_checkstack(L, 4, "JSON too deep");
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        lua_createtable(L, 0, (int)json_object_size(j));
        json_object_foreach((json_t *)j, k, v) {
            if (json_is_null(v))
                continue;
            dx_sandbox_push_json(L, v);
            lua_setfield(L, -2, k);
        }
        dx_sandbox_readonly(L);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        lua_createtable(L, (int)json_array_size(j), 0);
        json_array_foreach((json_t *)j, i, v) {
            if (json_is_null(v))
                lua_pushboolean(L, 0);
            else
                dx_sandbox_push_json(L, v);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        dx_sandbox_readonly(L);
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(j));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(j));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    default:
        lua_pushnil(L);
    }
}

static json_t *to_json(lua_State *L, int idx, int depth, dx_error *err)
{
    idx = lua_absindex(L, idx);
    if (depth > 32) {
        dx_error_set(err, DX_ERR_DATA, "nested too deep");
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return json_integer((json_int_t)lua_tointeger(L, idx));
        if (!isfinite(lua_tonumber(L, idx))) {
            dx_error_set(err, DX_ERR_DATA, "a number that is not finite");
            return NULL;
        }
        return json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        json_t *r = json_stringn(s, n);
        if (!r)
            dx_error_set(err, DX_ERR_DATA, "a string that is not UTF-8");
        return r;
    }
    case LUA_TTABLE: {
        size_t n = lua_rawlen(L, idx), count = 0;
        json_t *out;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            count++;
            lua_pop(L, 1);
        }
        if (n > 0 && n == count) {
            out = json_array();
            for (size_t i = 1; out && i <= n; i++) {
                json_t *v;
                lua_rawgeti(L, idx, (lua_Integer)i);
                v = to_json(L, -1, depth + 1, err);
                lua_pop(L, 1);
                if (!v) {
                    json_decref(out);
                    return NULL;
                }
                json_array_append_new(out, v);
            }
            return out;
        }
        out = json_object();
        lua_pushnil(L);
        while (out && lua_next(L, idx)) {
            json_t *v;
            char kbuf[64];
            const char *k;
            if (lua_type(L, -2) == LUA_TSTRING) {
                k = lua_tostring(L, -2);
            } else if (lua_isinteger(L, -2)) {
                snprintf(kbuf, sizeof kbuf, "%lld", (long long)lua_tointeger(L, -2));
                k = kbuf;
            } else {
                dx_error_set(err, DX_ERR_DATA, "a table key of type %s", luaL_typename(L, -2));
                lua_pop(L, 2);
                json_decref(out);
                return NULL;
            }
            v = to_json(L, -1, depth + 1, err);
            if (!v) {
                lua_pop(L, 2);
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, k, v);
            lua_pop(L, 1);
        }
        return out;
    }
    default:
        dx_error_set(err, DX_ERR_DATA, "a value of type %s", luaL_typename(L, idx));
        return NULL;
    }
}

json_t *dx_sandbox_to_json(lua_State *L, int idx, dx_error *err)
{
    return to_json(L, idx, 0, err);
}
