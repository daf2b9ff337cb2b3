/* The host logger: per-category levels from DOCEX_DEBUG, one handler. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/host_internal.h"

#define MAX_RULES 16

typedef struct level_rule {
    char category[32]; /* "" = every category */
    dx_log_level level;
} level_rule;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static level_rule rules[MAX_RULES];
static size_t n_rules;
static dx_log_level default_level = DX_LOG_WARNING;
static dx_log_handler handler;
static void *handler_user;

static const char *const level_names[] = {"none", "error", "warning", "info", "debug", "trace"};

static bool parse_level(const char *s, size_t n, dx_log_level *out)
{
    if (n == 1 && s[0] >= '0' && s[0] <= '5') {
        *out = (dx_log_level)(s[0] - '0');
        return true;
    }
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
        if (strlen(level_names[i]) == n && strncasecmp(level_names[i], s, n) == 0) {
            *out = (dx_log_level)i;
            return true;
        }
    return false;
}

/* Parse into local tables first so that a bad spec changes nothing. */
static dx_status set_levels_locked(const char *spec)
{
    level_rule tmp[MAX_RULES];
    size_t n = 0;
    dx_log_level def = DX_LOG_WARNING;
    const char *p = spec;

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        dx_log_level lv;
        while (len && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        if (len == 0) {
            /* empty item: skip */
        } else if (!colon) {
            if (!parse_level(p, len, &lv))
                return DX_ERR_INVALID_ARG;
            def = lv;
        } else {
            size_t clen = (size_t)(colon - p);
            if (!parse_level(colon + 1, len - clen - 1, &lv) || clen == 0 ||
                clen >= sizeof tmp[0].category || n == MAX_RULES)
                return DX_ERR_INVALID_ARG;
            if (clen == 1 && p[0] == '*') {
                def = lv;
            } else {
                memcpy(tmp[n].category, p, clen);
                tmp[n].category[clen] = '\0';
                tmp[n].level = lv;
                n++;
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    memcpy(rules, tmp, n * sizeof tmp[0]);
    n_rules = n;
    default_level = def;
    return DX_OK;
}

static void log_init(void)
{
    const char *env = getenv("DOCEX_DEBUG");
    if (env && *env && set_levels_locked(env) != DX_OK)
        fprintf(stderr, "docex: warning: log: DOCEX_DEBUG=\"%s\" is not a level spec "
                        "(e.g. \"warning\" or \"loader:debug,*:info\"); using warning\n", env);
}

dx_status dx_log_set_levels(const char *spec)
{
    dx_status st;
    if (!spec)
        return DX_ERR_INVALID_ARG;
    pthread_once(&log_once, log_init);
    pthread_mutex_lock(&log_lock);
    st = set_levels_locked(spec);
    pthread_mutex_unlock(&log_lock);
    return st;
}

void dx_log_set_handler(dx_log_handler h, void *user)
{
    pthread_once(&log_once, log_init);
    pthread_mutex_lock(&log_lock);
    handler = h;
    handler_user = user;
    pthread_mutex_unlock(&log_lock);
}

static dx_log_level level_for_locked(const char *category)
{
    for (size_t i = 0; i < n_rules; i++)
        if (category && strcmp(rules[i].category, category) == 0)
            return rules[i].level;
    return default_level;
}

bool dx_log_enabled(const char *category, dx_log_level level)
{
    bool on;
    pthread_once(&log_once, log_init);
    pthread_mutex_lock(&log_lock);
    on = level != DX_LOG_NONE && level <= level_for_locked(category);
    pthread_mutex_unlock(&log_lock);
    return on;
}

static void log_emit(const char *category, dx_log_level level, const char *msg)
{
    dx_log_handler h;
    void *user;
    pthread_mutex_lock(&log_lock);
    h = handler;
    user = handler_user;
    pthread_mutex_unlock(&log_lock);
    if (h) {
        h(level, category, msg, user);
        return;
    }
    fprintf(stderr, "docex: %s: %s: %s\n", level_names[level <= DX_LOG_TRACE ? level : 0],
            category ? category : "docex", msg);
}

void dx_log(const char *category, dx_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (!dx_log_enabled(category, level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one line each: a newline in a message (plugin text) would forge lines */
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    log_emit(category, level, line);
}
