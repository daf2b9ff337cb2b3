/* docex rules — Lua rule sets: run their unit tests. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "rules/rules.h"

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list;

static int add_path(path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **g = realloc(l->v, nc * sizeof *g);
        if (!g)
            return -1;
        l->v = g;
        l->cap = nc;
    }
    if (!(l->v[l->n] = strdup(p)))
        return -1;
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_test_name(const char *name)
{
    size_t n = strlen(name);
    return n > 9 && strcmp(name + n - 9, "_test.lua") == 0;
}

/* Collect *_test.lua under dir (recursively). */
static int collect(const char *dir, path_list *out, int depth)
{
    DIR *d;
    struct dirent *e;
    if (depth > 16)
        return 0;
    d = opendir(dir);
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (collect(path, out, depth + 1) != 0) {
                closedir(d);
                return -1;
            }
        } else if (S_ISREG(st.st_mode) && is_test_name(e->d_name) && add_path(out, path) != 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: docex rules test [--lib DIR] [-v] [DIR|FILE_test.lua]...\n"
               "\n"
               "Runs the unit tests of Lua rule sets: every NAME_test.lua under the given\n"
               "directories (default: the installed scripts/rules) runs the rule set NAME.lua\n"
               "beside it on each fixture{} and compares the findings with its expect{}s.\n"
               "\n"
               "  --lib DIR   the directory require() loads from (default: scripts/lib)\n"
               "  -v          list the expectations that hold too\n"
               "\n"
               "exit status: 0 every expectation holds, 1 one does not, 2 a test or rule set\n"
               "did not load (or a usage error)\n");
}

static int rules_test(int argc, char **argv)
{
    path_list files = {0};
    dx_rules_options opts = {0};
    bool verbose = false;
    size_t n_ok = 0, n_bad = 0, n_err = 0;
    int i, rc = DX_EXIT_OK;
    char defdir[4096];

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return DX_EXIT_OK;
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (strcmp(argv[i], "--lib") == 0) {
            if (++i >= argc) {
                dx_cli_error("rules test", "--lib needs a directory");
                return DX_EXIT_ERROR;
            }
            opts.lib_dir = argv[i];
        } else if (argv[i][0] == '-') {
            dx_cli_error("rules test", "unknown option %s (see docex rules test --help)", argv[i]);
            return DX_EXIT_ERROR;
        } else {
            break;
        }
    }
    if (i == argc) {
        snprintf(defdir, sizeof defdir, "%s/scripts/rules", dx_datadir());
        if (collect(defdir, &files, 0) != 0) {
            dx_cli_error("rules test", "%s: cannot read the directory", defdir);
            rc = DX_EXIT_ERROR;
            goto out;
        }
    }
    for (; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            dx_cli_error("rules test", "%s: no such file or directory", argv[i]);
            rc = DX_EXIT_ERROR;
            goto out;
        }
        if (S_ISDIR(st.st_mode) ? collect(argv[i], &files, 0) != 0 : add_path(&files, argv[i]) != 0) {
            dx_cli_error("rules test", "%s: cannot read it", argv[i]);
            rc = DX_EXIT_ERROR;
            goto out;
        }
    }
    if (files.n == 0) {
        dx_cli_error("rules test", "no *_test.lua file found");
        rc = DX_EXIT_ERROR;
        goto out;
    }
    qsort(files.v, files.n, sizeof *files.v, cmp_str);
    for (size_t f = 0; f < files.n; f++) {
        dx_rules_test_result r;
        dx_error err = {0};
        if (dx_rules_test_file(files.v[f], &opts, &r, &err) != DX_OK) {
            printf("ERROR %s: %s\n", files.v[f], err.message);
            n_err++;
            dx_rules_test_result_clear(&r);
            continue;
        }
        printf("%s %s (%zu fixtures, %zu expectations)\n", r.n_failed ? "FAIL" : "PASS",
               files.v[f], r.n_fixtures, r.n_outcomes);
        for (size_t k = 0; k < r.n_outcomes; k++) {
            const dx_rules_test_outcome *o = &r.outcomes[k];
            if (!o->ok)
                printf("  FAIL %s: %s: %s\n", o->where, o->what, o->detail ? o->detail : "");
            else if (verbose)
                printf("  ok   %s: %s\n", o->where, o->what);
        }
        n_ok += r.n_outcomes - r.n_failed;
        n_bad += r.n_failed;
        dx_rules_test_result_clear(&r);
    }
    printf("%zu passed, %zu failed%s", n_ok, n_bad, n_err ? "" : "\n");
    if (n_err)
        printf(", %zu test files did not load\n", n_err);
    rc = n_err ? DX_EXIT_ERROR : n_bad ? DX_EXIT_FAILED : DX_EXIT_OK;
out:
    for (size_t k = 0; k < files.n; k++)
        free(files.v[k]);
    free(files.v);
    return rc;
}

int dx_cmd_rules(const dx_cli_globals *g, int argc, char **argv)
{
    (void)g;
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? DX_EXIT_ERROR : DX_EXIT_OK;
    }
    if (strcmp(argv[1], "test") == 0)
        return rules_test(argc - 1, argv + 1);
    dx_cli_error("rules", "unknown subcommand \"%s\" (see docex rules --help)", argv[1]);
    return DX_EXIT_ERROR;
}
