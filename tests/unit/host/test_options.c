/* Option parsing against an option table, settings and log levels. */
#include <string.h>

#include "docex/docex.h"
#include "dxtest.h"

static const char *const fruit[] = {"apple", "pear", NULL};
static const dxp_option opts[] = {
    {"flag", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "false", "a flag", {0}},
    {"count", DXP_OPT_INT, DXP_UNIT_COUNT, -5, 10, 0, 0, NULL, "0", "a count", {0}},
    {"ratio", DXP_OPT_FLOAT, DXP_UNIT_PERCENT, 0, 0, 0.5, 2.5, NULL, "1", "a ratio", {0}},
    {"label", DXP_OPT_STRING, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "", "a label", {0}},
    {"kind", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0, fruit, "apple", "a kind", {0}},
};

int main(void)
{
    dxp_value v;
    dx_error err = {0};
    char big[400];

    CHECK(dx_option_parse(&opts[0], "true", &v, &err) == DX_OK && v.i == 1);
    CHECK(dx_option_parse(&opts[0], "off", &v, &err) == DX_OK && v.i == 0);
    CHECK(dx_option_parse(&opts[0], "maybe", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(strstr(err.message, "flag") != NULL);
    CHECK(dx_option_parse(&opts[1], "10", &v, &err) == DX_OK && v.i == 10);
    CHECK(dx_option_parse(&opts[1], "-5", &v, &err) == DX_OK && v.i == -5);
    CHECK(dx_option_parse(&opts[1], "11", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(strstr(err.message, "-5..10") != NULL);
    CHECK(dx_option_parse(&opts[1], "3x", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[1], "", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[1], "99999999999999999999999", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[2], "2.5", &v, &err) == DX_OK && v.f == 2.5);
    CHECK(dx_option_parse(&opts[2], "2.6", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[2], "nan", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[2], "inf", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[3], "hello", &v, &err) == DX_OK && strcmp(v.s, "hello") == 0);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(dx_option_parse(&opts[3], big, &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_option_parse(&opts[4], "pear", &v, &err) == DX_OK && strcmp(v.s, "pear") == 0);
    CHECK(dx_option_parse(&opts[4], "plum", &v, &err) == DX_ERR_INVALID_ARG);
    CHECK(strstr(err.message, "apple, pear") != NULL);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        CHECK(dx_option_parse(&opts[i], opts[i].default_value, &v, &err) == DX_OK);

    /* log levels */
    CHECK(dx_log_set_levels("loader:debug,*:error") == DX_OK);
    CHECK(dx_log_enabled("loader", DX_LOG_DEBUG));
    CHECK(!dx_log_enabled("sim", DX_LOG_WARNING));
    CHECK(dx_log_enabled("sim", DX_LOG_ERROR));
    CHECK(dx_log_set_levels("bogus") == DX_ERR_INVALID_ARG);
    CHECK(dx_log_enabled("loader", DX_LOG_DEBUG)); /* a bad spec changes nothing */
    CHECK(dx_log_set_levels("3") == DX_OK);
    CHECK(dx_log_enabled("x", DX_LOG_INFO) && !dx_log_enabled("x", DX_LOG_DEBUG));
    CHECK(dx_log_set_levels("warning") == DX_OK);

    /* host settings */
    {
        dx_host *h = NULL;
        dx_host_options ho = {.only_files = "/nonexistent/none.so", .settings = "a.b=1;c.d=x=y"};
        dx_log_set_levels("none");
        CHECK(dx_host_new(&ho, &h, &err) == DX_OK);
        dx_log_set_levels("warning");
        REQUIRE(h != NULL);
        CHECK_STR(dx_host_get(h, "a.b"), "1");
        CHECK_STR(dx_host_get(h, "c.d"), "x=y");
        CHECK(dx_host_get(h, "docex.datadir") != NULL);
        CHECK(dx_host_plugin_count(h) == 0);
        CHECK(dx_host_refusal_count(h) == 1);
        CHECK(dx_host_set(h, "a.b", "2") == DX_OK);
        CHECK_STR(dx_host_get(h, "a.b"), "2");
        dx_host_free(h);
        ho.settings = "novalue";
        CHECK(dx_host_new(&ho, &h, &err) == DX_ERR_INVALID_ARG);
        CHECK(h == NULL);
        CHECK(strstr(err.message, "novalue") != NULL);
    }
    CHECK(strcmp(dx_status_str(DX_ERR_NO_DOCUMENT), "no document") == 0);
    CHECK(strcmp(dx_status_name(DX_ERR_COVER_OPEN), "cover_open") == 0);
    CHECK(strcmp(dx_status_str(999), "unknown status") == 0);
    return dxtest_done();
}
