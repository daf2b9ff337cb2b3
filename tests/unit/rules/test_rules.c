/* The Lua rule engine: the sandbox holds (refused libraries and loaders,
 * instruction budget, memory cap, tracebacks naming file:line), check{}
 * validation at load time, the provider behind ctx and regions, read-only
 * document data, TR-03135 aggregation and the findings JSON.
 *
 * usage: test-rules SOURCE_DIR SCRATCH_DIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dxtest.h"
#include "rules/rules.h"

static const char *scratch;
static char libdir[4096];

static char *write_rule(const char *name, const char *text)
{
    static char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
    return path;
}

static const dx_rules_finding *find(const dx_rules_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].check.id, id) == 0)
            return &r->findings[i];
    return NULL;
}

/* ---- a provider that records its calls ------------------------------------ */

typedef struct rec_provider {
    json_t *mrz, *specimen;
    int n_measure;
    dx_rules_measure last_what;
    char last_feature[64], last_light[32], last_other[64];
} rec_provider;

static json_t *rec_document(void *user, const char *part)
{
    rec_provider *p = user;
    if (strcmp(part, "mrz") == 0)
        return p->mrz;
    if (strcmp(part, "specimen") == 0)
        return p->specimen;
    return NULL;
}

static bool rec_capture(void *user, const char *light, dx_rules_capture_info *out)
{
    (void)user;
    if (strcmp(light, "uv365") != 0)
        return false;
    out->width = 1000;
    out->height = 700;
    out->dpi = 300;
    strcpy(out->sha256, "00ff");
    return true;
}

static dx_status rec_measure(void *user, dx_rules_measure what, const dx_rules_region_ref *region,
                             const dx_rules_region_ref *other, dx_rules_measurement *out,
                             dx_error *err)
{
    rec_provider *p = user;
    p->n_measure++;
    p->last_what = what;
    snprintf(p->last_feature, sizeof p->last_feature, "%s",
             region->feature ? region->feature : "rect");
    snprintf(p->last_light, sizeof p->last_light, "%s", region->light ? region->light : "-");
    snprintf(p->last_other, sizeof p->last_other, "%s",
             other ? (other->feature ? other->feature : "rect") : "-");
    switch (what) {
    case DX_RULES_M_MEAN:
        out->value = region->feature ? 0.25 : region->rect.w;
        return DX_OK;
    case DX_RULES_M_STATS:
        out->n_fields = 2;
        strcpy(out->fields[0].name, "mean");
        out->fields[0].value = 0.5;
        strcpy(out->fields[1].name, "stddev");
        out->fields[1].value = 0.125;
        return DX_OK;
    case DX_RULES_M_FLUORESCENCE:
        out->value = 3.5;
        return DX_OK;
    case DX_RULES_M_SIMILARITY:
        return dx_error_set(err, DX_ERR_IO, "reference image missing");
    default:
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "no %s here", dx_rules_measure_str(what));
    }
}

static dx_rules_options small_opts(void)
{
    dx_rules_options o = {.lib_dir = libdir,
                          .mem_limit = 16u << 20,
                          .check_budget = 2000000,
                          .load_budget = 1000000};
    return o;
}

static void run_set(const char *name, const char *text, const dx_rules_provider *p,
                    dx_rules_report *rep)
{
    dx_rules_options o = small_opts();
    dx_rules_set *rs = NULL;
    dx_error err = {0};
    dx_status st = dx_rules_open(write_rule(name, text), &o, &rs, &err);
    CHECK_MSG(st == DX_OK, "%s: %s", name, err.message);
    if (st != DX_OK)
        return;
    st = dx_rules_run(rs, p, rep, &err);
    CHECK_MSG(st == DX_OK, "%s: %s", name, err.message);
    CHECK(dx_rules_memory(rs) <= o.mem_limit);
    dx_rules_free(rs);
}

#define DECL(id, group, mode)                                                                 \
    "check{ id = \"" id "\", notation = { light = \"UV\", property = \"dull\", feature = "    \
    "\"substrate\" }, mode = \"" mode "\", group = \"" group "\", run = function(ctx)\n"

/* ---- the sandbox ---------------------------------------------------------- */

static void test_sandbox_refuses(void)
{
    dx_rules_report rep = {0};
    const dx_rules_finding *f;
    rec_provider rp = {0};
    dx_rules_provider p = {.user = &rp, .document = rec_document};
    rp.mrz = json_pack("{s:b,s:{s:s},s:[s,s]}", "valid", 1, "fields", "name", "UTOPIAN", "checks",
                       "a", "b");
    run_set("sandbox.lua",
            "local bad = {}\n"
            "local function probe(name, ok) if not ok then bad[#bad + 1] = name end end\n"
            DECL("probes", "optical", "mandatory")
            "  probe('os', os == nil); probe('io', io == nil); probe('debug', debug == nil)\n"
            "  probe('package', package == nil); probe('dofile', dofile == nil)\n"
            "  probe('loadfile', loadfile == nil); probe('rawset', rawset == nil)\n"
            "  probe('string.dump', string.dump == nil)\n"
            "  probe('load b', not pcall(load, 'return 1', 'x', 'b'))\n"
            "  probe('load bt', not pcall(load, 'return 1', 'x', 'bt'))\n"
            "  local f, e = load('\\27Lua\\84\\0', 'bin'); probe('load bytecode', f == nil)\n"
            "  probe('load text', load('return 6 * 7')() == 42)\n"
            "  probe('load env', load('return x', 't', 't', { x = 5 })() == 5)\n"
            "  probe('require ../x', not pcall(require, '../x'))\n"
            "  probe('require /etc/passwd', not pcall(require, '/etc/passwd'))\n"
            "  probe('require a..b', not pcall(require, 'a..b'))\n"
            "  probe('require Upper', not pcall(require, 'Checks'))\n"
            "  probe('require missing', not pcall(require, 'no_such_lib'))\n"
            "  probe('require checks', type(require('checks').range) == 'function')\n"
            "  probe('require cached', require('checks') == require('checks'))\n"
            "  probe('gc stop', not pcall(collectgarbage, 'stop'))\n"
            "  probe('gc count', type(collectgarbage('count')) == 'number')\n"
            "  probe('string', string.format('%d', 3) == '3' and utf8.char(65) == 'A')\n"
            "  probe('ctx ro', not pcall(function() ctx.mrz = 1 end))\n"
            "  probe('ctx.mrz ro', not pcall(function() ctx.mrz.valid = false end))\n"
            "  probe('nested ro', not pcall(function() ctx.mrz.fields.name = 'X' end))\n"
            "  probe('setmetatable', not pcall(setmetatable, ctx.mrz, {}))\n"
            "  probe('getmetatable', getmetatable(ctx.mrz) == 'read-only')\n"
            "  local n = 0; for k, v in pairs(ctx.mrz) do n = n + 1 end; probe('pairs', n == 3)\n"
            "  local _, s = pairs(ctx.mrz); probe('pairs state', not pcall(function() s.x = 1 end))\n"
            "  probe('len', #ctx.mrz.checks == 2 and ctx.mrz.checks[2] == 'b')\n"
            "  probe('value', ctx.mrz.valid == true and ctx.mrz.fields.name == 'UTOPIAN')\n"
            "  probe('chip nil', ctx.chip == nil)\n"
            "  probe('print', pcall(print, 'hello from a rule'))\n"
            "  if #bad > 0 then return { result = 'failed', message = table.concat(bad, ', ') } end\n"
            "  return { result = 'passed' }\n"
            "end }\n",
            &p, &rep);
    f = find(&rep, "probes");
    REQUIRE(f != NULL);
    CHECK_MSG(f->result == DX_RULES_PASSED, "%s: %s", dx_rules_result_str(f->result),
              f->message ? f->message : "");
    dx_rules_report_clear(&rep);
    json_decref(rp.mrz);
}

/* Loops, allocation without bound and errors abort their check only. */
static void test_aborts(void)
{
    dx_rules_report rep = {0};
    const dx_rules_finding *f;
    run_set("aborts.lua",
            DECL("loop", "optical", "mandatory") "  while true do end\nend }\n"
            DECL("after_loop", "optical", "mandatory") "  return { result = 'passed' }\nend }\n"
            DECL("caught_loop", "optical", "mandatory")
            "  while true do pcall(function() while true do end end) end\nend }\n"
            DECL("rep", "optical", "mandatory") "  local s = string.rep('x', 1e9)\n"
            "  return { result = 'passed', value = #s }\nend }\n"
            DECL("grow", "optical", "mandatory") "  local t = {}\n"
            "  for i = 1, 1e9 do t[i] = { i } end\nend }\n"
            DECL("caught_mem", "optical", "mandatory")
            "  pcall(string.rep, 'x', 1e9)\n  return { result = 'passed' }\nend }\n"
            DECL("boom", "optical", "mandatory") "  local function inner()\n"
            "    error('boom: bad measurement')\n  end\n  inner()\nend }\n"
            DECL("bad_result", "optical", "mandatory") "  return { result = 'fine' }\nend }\n"
            DECL("no_table", "optical", "mandatory") "  return 42\nend }\n"
            DECL("last", "optical", "mandatory") "  return { result = 'passed' }\nend }\n",
            &(dx_rules_provider){0}, &rep);
    REQUIRE(rep.n_findings == 10);
    f = find(&rep, "loop");
    CHECK(f->result == DX_RULES_ABORTED);
    CHECK_MSG(f->message && strstr(f->message, "instruction budget"), "%s", f->message);
    CHECK(f->message && strstr(f->message, "aborts.lua:2:"));
    CHECK(f->traceback && strstr(f->traceback, "stack traceback"));
    CHECK(find(&rep, "after_loop")->result == DX_RULES_PASSED);
    f = find(&rep, "caught_loop");
    CHECK(f->result == DX_RULES_ABORTED);
    CHECK_MSG(f->message && strstr(f->message, "instruction budget"), "%s", f->message);
    f = find(&rep, "rep");
    CHECK(f->result == DX_RULES_ABORTED);
    CHECK_MSG(f->message && strstr(f->message, "memory cap"), "%s", f->message);
    f = find(&rep, "grow");
    CHECK(f->result == DX_RULES_ABORTED);
    CHECK_MSG(f->message && (strstr(f->message, "memory cap") || strstr(f->message, "budget")),
              "%s", f->message);
    f = find(&rep, "caught_mem");
    CHECK(f->result == DX_RULES_ABORTED);
    CHECK_MSG(f->message && strstr(f->message, "memory cap"), "%s", f->message);
    f = find(&rep, "boom");
    CHECK(f->result == DX_RULES_ABORTED);
    CHECK_MSG(f->message && strstr(f->message, "aborts.lua:24: boom: bad measurement"), "%s",
              f->message);
    CHECK_MSG(f->traceback && strstr(f->traceback, "aborts.lua:24: in") &&
                  strstr(f->traceback, "aborts.lua:26:"),
              "%s", f->traceback);
    f = find(&rep, "bad_result");
    CHECK(f->result == DX_RULES_ABORTED && strstr(f->message, "invalid result"));
    f = find(&rep, "no_table");
    CHECK(f->result == DX_RULES_ABORTED && strstr(f->message, "must return a table"));
    CHECK(find(&rep, "last")->result == DX_RULES_PASSED);
    CHECK(rep.verdict == DX_RULES_ABORTED);
    dx_rules_report_clear(&rep);
}

/* A file that loops or allocates at load time does not load. */
static void test_load_limits(void)
{
    dx_rules_options o = small_opts();
    dx_rules_set *rs = NULL;
    dx_error err = {0};
    CHECK(dx_rules_open(write_rule("load_loop.lua", "while true do end\n"), &o, &rs, &err) ==
          DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "instruction budget"), "%s", err.message);
    CHECK(dx_rules_open(write_rule("load_mem.lua", "local s = string.rep('y', 1 << 30)\n"), &o, &rs,
                        &err) == DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "memory cap"), "%s", err.message);
    CHECK(dx_rules_open(write_rule("load_syntax.lua", "check{ id = \n"), &o, &rs, &err) ==
          DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "load_syntax.lua:2:"), "%s", err.message);
    CHECK(dx_rules_open(write_rule("empty.lua", "local x = 1\n"), &o, &rs, &err) == DX_ERR_DATA);
    CHECK_MSG(strstr(err.message, "declares no check"), "%s", err.message);
    CHECK(dx_rules_open("/nonexistent/rules.lua", &o, &rs, &err) == DX_ERR_NOT_FOUND);
    CHECK(rs == NULL);
}

/* Invalid declarations: an error naming the file and the line of check{}. */
static void test_declarations(void)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"check('x')", "expected a table"},
        {"check{ id = 'a', notation = {light='UV', property='dull', feature='s'}, mode = "
         "'mandatory', group = 'optical', run = function() end, colour = 'red' }",
         "unknown field \"colour\""},
        {"check{ notation = {light='UV', property='dull', feature='s'}, mode = 'mandatory', "
         "group = 'optical', run = function() end }",
         "id must be a string"},
        {"check{ id = 'Bad Id', notation = {light='UV', property='dull', feature='s'}, mode = "
         "'mandatory', group = 'optical', run = function() end }",
         "id must be"},
        {"check{ id = 'a', notation = {light='UV', property='dull'}, mode = 'mandatory', group = "
         "'optical', run = function() end }",
         "notation.feature must be a string"},
        {"check{ id = 'a', notation = 'UV dull', mode = 'mandatory', group = 'optical', run = "
         "function() end }",
         "notation must be"},
        {"check{ id = 'a', notation = {light='UV', property='dull', feature='s', x=1}, mode = "
         "'mandatory', group = 'optical', run = function() end }",
         "notation has an unknown field"},
        {"check{ id = 'a', notation = {light='UV', property='dull', feature='s'}, mode = "
         "'required', group = 'optical', run = function() end }",
         "mode \"required\""},
        {"check{ id = 'a', notation = {light='UV', property='dull', feature='s'}, mode = "
         "'optional', group = 'paper', run = function() end }",
         "group \"paper\""},
        {"check{ id = 'a', notation = {light='UV', property='dull', feature='s'}, mode = "
         "'optional', group = 'chip', run = 'go' }",
         "run must be a function"},
        {"check{ id = 'a', notation = {light='UV', property='', feature='s'}, mode = "
         "'optional', group = 'chip', run = function() end }",
         "notation.property is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dx_rules_options o = small_opts();
        dx_rules_set *rs = NULL;
        dx_error err = {0};
        char text[2048];
        snprintf(text, sizeof text, "-- line 1\n-- line 2\n%s\n", cases[i].body);
        CHECK(dx_rules_open(write_rule("decl.lua", text), &o, &rs, &err) == DX_ERR_DATA);
        CHECK_MSG(strstr(err.message, "decl.lua:3:") && strstr(err.message, cases[i].why),
                  "case %zu: %s", i, err.message);
    }
    {
        dx_rules_options o = small_opts();
        dx_rules_set *rs = NULL;
        dx_error err = {0};
        CHECK(dx_rules_open(write_rule("twice.lua", DECL("a", "mrz", "optional") "end }\n"
                                                    DECL("a", "mrz", "optional") "end }\n"),
                            &o, &rs, &err) == DX_ERR_DATA);
        CHECK_MSG(strstr(err.message, "twice.lua:3:") && strstr(err.message, "declared twice"),
                  "%s", err.message);
        CHECK(dx_rules_open(write_rule("good.lua", DECL("a", "mrz", "optional") "end }\n"
                                                   DECL("b", "cross", "evaluatory") "end }\n"),
                            &o, &rs, &err) == DX_OK);
        REQUIRE(rs != NULL);
        CHECK(dx_rules_count(rs) == 2);
        CHECK_STR(dx_rules_check_at(rs, 1)->id, "b");
        CHECK(dx_rules_check_at(rs, 1)->group == DX_RULES_GROUP_CROSS);
        CHECK(dx_rules_check_at(rs, 1)->mode == DX_RULES_EVALUATORY);
        CHECK_STR(dx_rules_check_at(rs, 0)->notation.property, "dull");
        CHECK(strstr(dx_rules_check_at(rs, 1)->where, "good.lua:3") != NULL);
        dx_rules_free(rs);
    }
}

/* ctx, captures and regions reach the provider; unsupported -> nil, msg. */
static void test_provider(void)
{
    dx_rules_report rep = {0};
    const dx_rules_finding *f;
    rec_provider rp = {0};
    dx_rules_provider p = {.user = &rp, .document = rec_document, .capture = rec_capture,
                           .measure = rec_measure};
    json_t *j;
    rp.specimen = json_pack("{s:s,s:[s,s]}", "id", "UTO-P-2024", "features", "mrz", "ovd");
    run_set("provider.lua",
            DECL("mean", "optical", "mandatory")
            "  assert(ctx.specimen.id == 'UTO-P-2024' and ctx.specimen.features[2] == 'ovd')\n"
            "  local cap = assert(ctx:capture('uv365'))\n"
            "  assert(cap.width == 1000 and cap.dpi == 300 and cap.light == 'uv365')\n"
            "  local none, why = ctx:capture('ir950')\n"
            "  assert(none == nil and why:find('no capture'))\n"
            "  local r = cap:region('substrate')\n"
            "  assert(r.feature == 'substrate' and r.light == 'uv365')\n"
            "  return { result = 'passed', value = r:mean(), expected = { max = 0.3 },\n"
            "           region = r, message = tostring(r) }\nend }\n"
            DECL("rect", "optical", "optional")
            "  local r <close> = ctx:region({ x = 1, y = 2, w = 30, h = 4 }, 'white')\n"
            "  local st = r:stats()\n"
            "  assert(st.mean == 0.5 and st.stddev == 0.125)\n"
            "  return { result = 'failed', value = r:mean(), region = { x = 1, y = 2, w = 30, h = 4 },"
            " light = 'white', expected = 'dull' }\nend }\n"
            DECL("fluo", "optical", "mandatory")
            "  local ink = ctx:region('ink', 'uv365')\n"
            "  local v = ink:fluorescence(ctx:region('substrate', 'uv365'))\n"
            "  local s, why = ink:similarity()\n"
            "  assert(s == nil and why:find('reference image missing'))\n"
            "  local n, why2 = ink:fibres()\n"
            "  assert(n == nil and why2:find('^not supported'))\n"
            "  assert(not pcall(ctx.region, ctx, '../../etc'))\n"
            "  assert(not pcall(function() ink.feature = 'x' end))\n"
            "  ink:close(); assert(not pcall(ink.mean, ink))\n"
            "  return { result = 'undetermined', value = v, message = why }\nend }\n",
            &p, &rep);
    REQUIRE(rep.n_findings == 3);
    f = find(&rep, "mean");
    CHECK_MSG(f->result == DX_RULES_PASSED, "%s", f->message ? f->message : "");
    CHECK(f->value_kind == DX_RULES_V_NUMBER && f->value == 0.25);
    CHECK(f->has_max && f->max == 0.3 && !f->has_min);
    CHECK(f->has_region && f->region.feature && strcmp(f->region.feature, "substrate") == 0);
    CHECK(f->light && strcmp(f->light, "uv365") == 0);
    f = find(&rep, "rect");
    CHECK_MSG(f->result == DX_RULES_FAILED, "%s", f->message ? f->message : "");
    CHECK(f->value == 30 && f->has_region && f->region.rect.w == 30 && !f->region.feature);
    CHECK_STR(f->expected_text, "dull");
    f = find(&rep, "fluo");
    CHECK_MSG(f->result == DX_RULES_UNDETERMINED, "%s", f->message ? f->message : "");
    CHECK(f->value == 3.5);
    CHECK(rp.n_measure >= 6);
    CHECK_STR(rp.last_feature, "ink");
    CHECK(rep.groups[DX_RULES_GROUP_OPTICAL] == DX_RULES_FAILED);
    CHECK(rep.verdict == DX_RULES_FAILED);

    /* findings JSON */
    j = dx_rules_report_json(&rep);
    REQUIRE(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "verdict")), "failed");
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "groups"), "optical")), "failed");
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "groups"), "chip")),
              "not_supported");
    {
        json_t *a = json_object_get(j, "findings"), *f0 = json_array_get(a, 0),
               *f1 = json_array_get(a, 1);
        CHECK(json_array_size(a) == 3);
        CHECK_STR(json_string_value(json_object_get(f0, "id")), "mean");
        CHECK_STR(json_string_value(json_object_get(json_object_get(f0, "notation"), "property")),
                  "dull");
        CHECK_STR(json_string_value(json_object_get(f0, "mode")), "mandatory");
        CHECK_STR(json_string_value(json_object_get(f0, "group")), "optical");
        CHECK(json_real_value(json_object_get(f0, "value")) == 0.25);
        CHECK(json_real_value(json_object_get(json_object_get(f0, "expected"), "max")) == 0.3);
        CHECK_STR(json_string_value(json_object_get(json_object_get(f0, "region"), "feature")),
                  "substrate");
        CHECK_STR(json_string_value(json_object_get(f0, "light")), "uv365");
        CHECK(json_is_null(json_object_get(f0, "traceback")));
        CHECK(json_is_number(json_object_get(f0, "duration_ms")));
        CHECK(json_array_size(json_object_get(json_object_get(f1, "region"), "rect_mm")) == 4);
        CHECK_STR(json_string_value(json_object_get(f1, "expected")), "dull");
    }
    json_decref(j);
    dx_rules_report_clear(&rep);
    json_decref(rp.specimen);
}

/* TR-03135 precedence and how the modes count. */
static dx_rules_finding mk(dx_rules_group g, dx_rules_mode m, dx_rules_result r)
{
    dx_rules_finding f;
    memset(&f, 0, sizeof f);
    f.check.group = g;
    f.check.mode = m;
    f.result = r;
    return f;
}

static dx_rules_result agg(const dx_rules_finding *fs, size_t n, dx_rules_result *groups)
{
    dx_rules_report rep = {0};
    rep.findings = (dx_rules_finding *)fs;
    rep.n_findings = n;
    dx_rules_aggregate(&rep);
    if (groups)
        memcpy(groups, rep.groups, sizeof rep.groups);
    return rep.verdict;
}

static void test_aggregation(void)
{
    const dx_rules_result all[] = {DX_RULES_PASSED, DX_RULES_NOT_SUPPORTED, DX_RULES_UNDETERMINED,
                                   DX_RULES_FAILED, DX_RULES_ABORTED};
    dx_rules_result groups[DX_RULES_GROUP_COUNT_];
    CHECK(dx_rules_precedence(all, 0) == DX_RULES_NOT_SUPPORTED);
    CHECK(dx_rules_precedence(all, 2) == DX_RULES_PASSED);
    CHECK(dx_rules_precedence(all, 3) == DX_RULES_UNDETERMINED);
    CHECK(dx_rules_precedence(all, 4) == DX_RULES_FAILED);
    CHECK(dx_rules_precedence(all + 4, 1) == DX_RULES_ABORTED);
    CHECK(dx_rules_precedence((dx_rules_result[]){DX_RULES_ABORTED, DX_RULES_UNDETERMINED}, 2) ==
          DX_RULES_ABORTED);
    {
        dx_rules_finding fs[] = {mk(DX_RULES_GROUP_MRZ, DX_RULES_MANDATORY, DX_RULES_PASSED),
                                 mk(DX_RULES_GROUP_OPTICAL, DX_RULES_EVALUATORY, DX_RULES_FAILED),
                                 mk(DX_RULES_GROUP_OPTICAL, DX_RULES_OPTIONAL,
                                    DX_RULES_NOT_SUPPORTED)};
        CHECK(agg(fs, 3, groups) == DX_RULES_PASSED); /* evaluatory never fails the verdict */
        CHECK(groups[DX_RULES_GROUP_MRZ] == DX_RULES_PASSED);
        CHECK(groups[DX_RULES_GROUP_OPTICAL] == DX_RULES_NOT_SUPPORTED);
        CHECK(groups[DX_RULES_GROUP_CHIP] == DX_RULES_NOT_SUPPORTED);
    }
    {
        dx_rules_finding fs[] = {mk(DX_RULES_GROUP_MRZ, DX_RULES_MANDATORY, DX_RULES_PASSED),
                                 mk(DX_RULES_GROUP_CHIP, DX_RULES_MANDATORY,
                                    DX_RULES_NOT_SUPPORTED)};
        CHECK(agg(fs, 2, groups) == DX_RULES_UNDETERMINED); /* a required check not performed */
        CHECK(groups[DX_RULES_GROUP_CHIP] == DX_RULES_UNDETERMINED);
    }
    {
        dx_rules_finding fs[] = {mk(DX_RULES_GROUP_MRZ, DX_RULES_MANDATORY, DX_RULES_PASSED),
                                 mk(DX_RULES_GROUP_OPTICAL, DX_RULES_OPTIONAL, DX_RULES_FAILED),
                                 mk(DX_RULES_GROUP_CROSS, DX_RULES_MANDATORY, DX_RULES_ABORTED)};
        CHECK(agg(fs, 3, groups) == DX_RULES_FAILED); /* a performed optional check counts */
        CHECK(groups[DX_RULES_GROUP_CROSS] == DX_RULES_ABORTED);
    }
    {
        dx_rules_finding fs[] = {mk(DX_RULES_GROUP_MRZ, DX_RULES_MANDATORY, DX_RULES_UNDETERMINED),
                                 mk(DX_RULES_GROUP_MRZ, DX_RULES_MANDATORY, DX_RULES_ABORTED),
                                 mk(DX_RULES_GROUP_MRZ, DX_RULES_MANDATORY, DX_RULES_PASSED)};
        CHECK(agg(fs, 3, groups) == DX_RULES_ABORTED);
    }
    CHECK(agg(NULL, 0, groups) == DX_RULES_NOT_SUPPORTED);
    {
        dx_rules_result r;
        CHECK(dx_rules_result_parse("not_supported", &r) && r == DX_RULES_NOT_SUPPORTED);
        CHECK(!dx_rules_result_parse("ok", &r));
        CHECK_STR(dx_rules_result_str(DX_RULES_ABORTED), "aborted");
    }
}

/* The test runner on the committed fixtures (scripts/rules/test). */
static void test_runner(const char *src)
{
    dx_rules_options o = small_opts();
    dx_rules_test_result r;
    dx_error err = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/scripts/rules/test/basic_test.lua", src);
    CHECK_MSG(dx_rules_test_file(path, &o, &r, &err) == DX_OK, "%s", err.message);
    CHECK(r.n_fixtures == 3 && r.n_outcomes > 10 && r.n_failed == 0);
    for (size_t i = 0; i < r.n_outcomes; i++)
        CHECK_MSG(r.outcomes[i].ok, "%s: %s", r.outcomes[i].where, r.outcomes[i].detail);
    dx_rules_test_result_clear(&r);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test-rules SOURCE_DIR SCRATCH_DIR\n");
        return 2;
    }
    scratch = argv[2];
    mkdir(scratch, 0755);
    snprintf(libdir, sizeof libdir, "%s/scripts/lib", argv[1]);
    test_sandbox_refuses();
    test_aborts();
    test_load_limits();
    test_declarations();
    test_provider();
    test_aggregation();
    test_runner(argv[1]);
    return dxtest_done();
}
