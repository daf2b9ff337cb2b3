/* The ctx a check's run(ctx) gets: read-only document tables (specimen, mrz,
 * chip) and handles, capture and region userdata whose methods call the
 * provider (in the manner of Lua's liolib: a metatable per type, methods in a
 * luaL_Reg table, __gc/__close).  Expected failures return nil, message. */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "rules/rules_internal.h"

#define REGION_MT "docex.region"
#define CAPTURE_MT "docex.capture"

typedef struct region_ud {
    dx_rules_region_ref ref; /* points into the arrays below */
    char feature[64];
    char light[32];
    bool closed;
} region_ud;

typedef struct capture_ud {
    char light[32];
    dx_rules_capture_info info;
    bool closed;
} capture_ud;

static const char *const measure_names[DX_RULES_M_COUNT_] = {
    "mean",       "stats",           "contrast", "fluorescence", "absorption", "similarity",
    "fibres",     "sharpness",       "bright_fraction", "surround", "colour",   "viz"};

const char *dx_rules_measure_str(dx_rules_measure m)
{
    return (unsigned)m < DX_RULES_M_COUNT_ ? measure_names[m] : "?";
}

static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static double rect_field(lua_State *L, int idx, const char *k)
{
    double v;
    if (lua_getfield(L, idx, k) != LUA_TNUMBER)
        luaL_error(L, "region rectangle: %s must be a number (mm)", k);
    v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Push a region for arg `idx` (feature id or {x,y,w,h}) under light (or NULL). */
static void push_region(lua_State *L, int idx, const char *light)
{
    region_ud *r;
    idx = lua_absindex(L, idx);
    if (light && !name_ok(light, sizeof r->light))
        luaL_error(L, "region: bad light name");
    r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    luaL_setmetatable(L, REGION_MT);
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *f = lua_tostring(L, idx);
        if (!name_ok(f, sizeof r->feature))
            luaL_error(L, "region: bad feature id \"%s\"", f);
        strcpy(r->feature, f);
        r->ref.feature = r->feature;
    } else if (lua_type(L, idx) == LUA_TTABLE) {
        r->ref.rect.x = rect_field(L, idx, "x");
        r->ref.rect.y = rect_field(L, idx, "y");
        r->ref.rect.w = rect_field(L, idx, "w");
        r->ref.rect.h = rect_field(L, idx, "h");
        if (!(r->ref.rect.w > 0 && r->ref.rect.h > 0))
            luaL_error(L, "region rectangle: w and h must be positive");
    } else {
        luaL_typeerror(L, idx, "feature id or {x=, y=, w=, h=}");
    }
    if (light) {
        strcpy(r->light, light);
        r->ref.light = r->light;
    }
}

static region_ud *check_region(lua_State *L, int idx)
{
    region_ud *r = luaL_checkudata(L, idx, REGION_MT);
    if (r->closed)
        luaL_error(L, "region is closed");
    /* the struct may not move, but keep the pointers right after any copy */
    r->ref.feature = r->feature[0] ? r->feature : NULL;
    r->ref.light = r->light[0] ? r->light : NULL;
    return r;
}

const dx_rules_region_ref *dx_rules_region_test(lua_State *L, int idx)
{
    region_ud *r = luaL_testudata(L, idx, REGION_MT);
    if (!r || r->closed)
        return NULL;
    r->ref.feature = r->feature[0] ? r->feature : NULL;
    r->ref.light = r->light[0] ? r->light : NULL;
    return &r->ref;
}

static int push_measurement(lua_State *L, dx_rules_measure what, const dx_rules_measurement *m)
{
    int n = 0;
    if (m->n_fields == 0 || what != DX_RULES_M_STATS) {
        lua_Integer i;
        /* counts (fibres) read as integers: "12 fibres", not "12.0 fibres" */
        if (lua_numbertointeger(m->value, &i) && (lua_Number)i == m->value)
            lua_pushinteger(L, i);
        else
            lua_pushnumber(L, m->value);
        n = 1;
        if (m->n_fields == 0)
            return 1;
    }
    lua_createtable(L, 0, (int)m->n_fields);
    for (size_t i = 0; i < m->n_fields && i < DX_RULES_MAX_FIELDS; i++) {
        char name[sizeof m->fields[i].name + 1];
        memcpy(name, m->fields[i].name, sizeof m->fields[i].name);
        name[sizeof m->fields[i].name] = '\0';
        lua_pushnumber(L, m->fields[i].value);
        lua_setfield(L, -2, name);
    }
    return n + 1;
}

/* region:<what>([other]) -> number | table, or nil, message */
static int region_measure(lua_State *L, dx_rules_measure what)
{
    dx_sandbox *sb = dx_sandbox_of(L);
    region_ud *r = check_region(L, 1);
    const dx_rules_region_ref *other = NULL;
    dx_rules_measurement m;
    dx_error err = {0};
    dx_status st;
    if ((what == DX_RULES_M_FLUORESCENCE || what == DX_RULES_M_SIMILARITY) && !lua_isnoneornil(L, 2)) {
        check_region(L, 2);
        other = dx_rules_region_test(L, 2);
    }
    if (!sb->provider || !sb->provider->measure) {
        luaL_pushfail(L);
        lua_pushfstring(L, "not supported: no measurements for %s", measure_names[what]);
        return 2;
    }
    memset(&m, 0, sizeof m);
    st = sb->provider->measure(sb->provider->user, what, &r->ref, other, &m, &err);
    if (st != DX_OK) {
        luaL_pushfail(L);
        if (st == DX_ERR_UNSUPPORTED)
            lua_pushfstring(L, "not supported: %s", err.message[0] ? err.message : measure_names[what]);
        else
            lua_pushfstring(L, "%s: %s", measure_names[what],
                            err.message[0] ? err.message : dx_status_str(st));
        return 2;
    }
    return push_measurement(L, what, &m);
}

#define MEASURE_FN(name, what)                                                               \
    static int region_##name(lua_State *L) { return region_measure(L, what); }
MEASURE_FN(mean, DX_RULES_M_MEAN)
MEASURE_FN(stats, DX_RULES_M_STATS)
MEASURE_FN(contrast, DX_RULES_M_CONTRAST)
MEASURE_FN(fluorescence, DX_RULES_M_FLUORESCENCE)
MEASURE_FN(absorption, DX_RULES_M_ABSORPTION)
MEASURE_FN(similarity, DX_RULES_M_SIMILARITY)
MEASURE_FN(fibres, DX_RULES_M_FIBRES)
MEASURE_FN(sharpness, DX_RULES_M_SHARPNESS)
MEASURE_FN(bright_fraction, DX_RULES_M_BRIGHT_FRACTION)
MEASURE_FN(surround, DX_RULES_M_SURROUND)
MEASURE_FN(colour, DX_RULES_M_COLOUR)
MEASURE_FN(viz, DX_RULES_M_VIZ)

/* region:under(light) -> the same region under another light */
static int region_under(lua_State *L)
{
    region_ud *r = check_region(L, 1);
    const char *light = luaL_checkstring(L, 2);
    if (r->ref.feature) {
        lua_pushstring(L, r->feature);
    } else {
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, r->ref.rect.x);
        lua_setfield(L, -2, "x");
        lua_pushnumber(L, r->ref.rect.y);
        lua_setfield(L, -2, "y");
        lua_pushnumber(L, r->ref.rect.w);
        lua_setfield(L, -2, "w");
        lua_pushnumber(L, r->ref.rect.h);
        lua_setfield(L, -2, "h");
    }
    push_region(L, -1, light);
    return 1;
}

static int region_close(lua_State *L)
{
    region_ud *r = luaL_checkudata(L, 1, REGION_MT);
    r->closed = true;
    return 0;
}

static int region_tostring(lua_State *L)
{
    region_ud *r = luaL_checkudata(L, 1, REGION_MT);
    if (r->closed)
        lua_pushliteral(L, "region (closed)");
    else if (r->feature[0])
        lua_pushfstring(L, "region %s under %s", r->feature, r->light[0] ? r->light : "default light");
    else
        lua_pushfstring(L, "region [%f, %f, %f, %f] mm under %s", r->ref.rect.x, r->ref.rect.y,
                        r->ref.rect.w, r->ref.rect.h, r->light[0] ? r->light : "default light");
    return 1;
}

static const luaL_Reg region_methods[] = {
    {"mean", region_mean},
    {"stats", region_stats},
    {"contrast", region_contrast},
    {"fluorescence", region_fluorescence},
    {"absorption", region_absorption},
    {"similarity", region_similarity},
    {"fibres", region_fibres},
    {"sharpness", region_sharpness},
    {"bright_fraction", region_bright_fraction},
    {"surround", region_surround},
    {"colour", region_colour},
    {"viz", region_viz},
    {"under", region_under},
    {"close", region_close},
    {NULL, NULL}};

/* fields: feature, light, rect; then methods */
static int region_index(lua_State *L)
{
    region_ud *r = luaL_checkudata(L, 1, REGION_MT);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "feature") == 0) {
        if (r->feature[0])
            lua_pushstring(L, r->feature);
        else
            lua_pushnil(L);
    } else if (strcmp(k, "light") == 0) {
        if (r->light[0])
            lua_pushstring(L, r->light);
        else
            lua_pushnil(L);
    } else if (strcmp(k, "rect") == 0 && !r->feature[0]) {
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, r->ref.rect.x);
        lua_setfield(L, -2, "x");
        lua_pushnumber(L, r->ref.rect.y);
        lua_setfield(L, -2, "y");
        lua_pushnumber(L, r->ref.rect.w);
        lua_setfield(L, -2, "w");
        lua_pushnumber(L, r->ref.rect.h);
        lua_setfield(L, -2, "h");
    } else {
        lua_getfield(L, lua_upvalueindex(1), k);
    }
    return 1;
}

/* ---- captures ------------------------------------------------------------ */

static capture_ud *check_capture(lua_State *L, int idx)
{
    capture_ud *c = luaL_checkudata(L, idx, CAPTURE_MT);
    if (c->closed)
        luaL_error(L, "capture is closed");
    return c;
}

/* capture:region(feature_or_rect) -> region under the capture's light */
static int capture_region(lua_State *L)
{
    capture_ud *c = check_capture(L, 1);
    luaL_checkany(L, 2);
    push_region(L, 2, c->light);
    return 1;
}

static int capture_close(lua_State *L)
{
    capture_ud *c = luaL_checkudata(L, 1, CAPTURE_MT);
    c->closed = true;
    return 0;
}

static int capture_tostring(lua_State *L)
{
    capture_ud *c = luaL_checkudata(L, 1, CAPTURE_MT);
    lua_pushfstring(L, "capture %s%s", c->light, c->closed ? " (closed)" : "");
    return 1;
}

static const luaL_Reg capture_methods[] = {
    {"region", capture_region}, {"close", capture_close}, {NULL, NULL}};

static int capture_index(lua_State *L)
{
    capture_ud *c = luaL_checkudata(L, 1, CAPTURE_MT);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "light") == 0)
        lua_pushstring(L, c->light);
    else if (strcmp(k, "width") == 0)
        lua_pushinteger(L, c->info.width);
    else if (strcmp(k, "height") == 0)
        lua_pushinteger(L, c->info.height);
    else if (strcmp(k, "dpi") == 0)
        lua_pushnumber(L, c->info.dpi);
    else if (strcmp(k, "sha256") == 0)
        lua_pushstring(L, c->info.sha256);
    else
        lua_getfield(L, lua_upvalueindex(1), k);
    return 1;
}

static int ud_newindex(lua_State *L)
{
    return luaL_error(L, "handles are read-only");
}

static void new_mt(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction index,
                   lua_CFunction close, lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    lua_newtable(L); /* the methods: an upvalue of __index */
    luaL_setfuncs(L, methods, 0);
    lua_pushcclosure(L, index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ud_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "docex handle");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

void dx_rules_ctx_register(lua_State *L)
{
    new_mt(L, REGION_MT, region_methods, region_index, region_close, region_tostring);
    new_mt(L, CAPTURE_MT, capture_methods, capture_index, capture_close, capture_tostring);
}

/* ---- ctx ---------------------------------------------------------------- */

/* ctx:capture(light) -> capture, or nil, message */
static int ctx_capture(lua_State *L)
{
    dx_sandbox *sb = dx_sandbox_of(L);
    const char *light = luaL_checkstring(L, 2);
    dx_rules_capture_info info;
    capture_ud *c;
    if (!name_ok(light, sizeof c->light))
        return luaL_argerror(L, 2, "bad light name");
    memset(&info, 0, sizeof info);
    if (!sb->provider || !sb->provider->capture ||
        !sb->provider->capture(sb->provider->user, light, &info)) {
        luaL_pushfail(L);
        lua_pushfstring(L, "no capture under %s", light);
        return 2;
    }
    c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    strcpy(c->light, light);
    c->info = info;
    c->info.sha256[sizeof c->info.sha256 - 1] = '\0';
    luaL_setmetatable(L, CAPTURE_MT);
    return 1;
}

/* ctx:region(feature_or_rect [, light]) -> region */
static int ctx_region(lua_State *L)
{
    const char *light = luaL_optstring(L, 3, NULL);
    luaL_checkany(L, 2);
    push_region(L, 2, light);
    return 1;
}

void dx_rules_ctx_push(lua_State *L)
{
    dx_sandbox *sb = dx_sandbox_of(L);
    static const char *const parts[] = {"specimen", "mrz", "chip", "inspection"};
    lua_createtable(L, 0, 5);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        json_t *j = sb->provider && sb->provider->document
                        ? sb->provider->document(sb->provider->user, parts[i])
                        : NULL;
        if (j) {
            dx_sandbox_push_json(L, j);
            lua_setfield(L, -2, parts[i]);
        }
    }
    lua_pushcfunction(L, ctx_capture);
    lua_setfield(L, -2, "capture");
    lua_pushcfunction(L, ctx_region);
    lua_setfield(L, -2, "region");
    dx_sandbox_readonly(L);
}
