/* The capture-set manifest writer: content, hashing, atomic writes. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/manifest.h"
#include "dxtest.h"

static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/docex-manifest-XXXXXX";
    char sha[65], path[512];
    dx_error err = {0};
    dx_manifest m;
    dx_capture_record r;
    json_t *root, *caps, *c0, *fails;
    json_error_t jerr;

    REQUIRE(mkdtemp(dir) != NULL);

    /* SHA-256 known answers (FIPS 180-2): "abc" and the empty message */
    CHECK(dx_file_write_atomic(dir, "abc.bin", "abc", 3, sha, &err) == DX_OK);
    CHECK_STR(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(dx_file_write_atomic(dir, "empty.bin", "", 0, sha, &err) == DX_OK);
    CHECK_STR(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    snprintf(path, sizeof path, "%s/abc.bin", dir);
    {
        FILE *f = fopen(path, "rb");
        char buf[8] = {0};
        REQUIRE(f != NULL);
        CHECK(fread(buf, 1, sizeof buf, f) == 3 && memcmp(buf, "abc", 3) == 0);
        fclose(f);
    }
    /* overwrite keeps exactly one file and no temp file behind */
    CHECK(dx_file_write_atomic(dir, "abc.bin", "abcd", 4, sha, &err) == DX_OK);
    CHECK(count_files(dir, ".") == 2); /* only "." and ".." */
    /* a directory that does not exist: a clear error, no file */
    CHECK(dx_file_write_atomic("/nonexistent-docex-dir", "x.png", "x", 1, sha, &err) == DX_ERR_IO);
    CHECK(strstr(err.message, "/nonexistent-docex-dir") != NULL);

    memset(&m, 0, sizeof m);
    strcpy(m.device_id, "sim:0");
    m.plugin.name = "sim";
    m.plugin.version = "0.1.0";
    strcpy(m.info.model, "model");
    strcpy(m.info.vendor, "vendor");
    strcpy(m.info.serial, "S1");
    strcpy(m.settings, "noise=2");
    m.png_compression = 3;
    m.started_us = 1700000000123456LL;
    m.requested = calloc(2, sizeof *m.requested);
    REQUIRE(m.requested != NULL);
    m.requested[0] = strdup("white");
    m.requested[1] = strdup("ir870");
    m.n_requested = 2;

    memset(&r, 0, sizeof r);
    r.illum = *dx_illumination_find("ir870");
    strcpy(r.file, "ir870.png");
    r.width = 10, r.height = 20, r.bit_depth = 16, r.channels = 1, r.dpi = 300;
    r.pixel_format = "GRAY16";
    r.timestamp_us = 1700000000500000LL;
    r.exposure_us = -1;
    r.bytes = 3;
    strcpy(r.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(dx_manifest_add_capture(&m, &r) == DX_OK);
    CHECK(dx_manifest_add_failure(&m, "white", DX_ERR_NO_DOCUMENT, "no document on the glass")
          == DX_OK);
    CHECK(dx_manifest_write(&m, dir, &err) == DX_OK);

    snprintf(path, sizeof path, "%s/capture.json", dir);
    root = json_load_file(path, 0, &jerr);
    REQUIRE(root != NULL);
    CHECK_STR(json_string_value(json_object_get(root, "format")), "docex.capture/1");
    CHECK_STR(json_string_value(json_object_get(json_object_get(root, "device"), "id")), "sim:0");
    CHECK_STR(json_string_value(json_object_get(root, "started")), "2023-11-14T22:13:20.123456Z");
    CHECK(json_is_null(json_object_get(root, "finished")));
    CHECK(json_is_false(json_object_get(root, "complete")));
    caps = json_object_get(root, "captures");
    REQUIRE(json_array_size(caps) == 1);
    c0 = json_array_get(caps, 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(c0, "illumination"), "name")),
              "ir870");
    CHECK(json_integer_value(json_array_get(
              json_object_get(json_object_get(c0, "illumination"), "band_nm"), 0)) == 860);
    CHECK_STR(json_string_value(json_object_get(json_object_get(c0, "illumination"), "geometry")),
              "reflected");
    CHECK(json_integer_value(json_object_get(c0, "bit_depth")) == 16);
    CHECK(json_integer_value(json_object_get(c0, "dpi")) == 300);
    CHECK(json_is_null(json_object_get(c0, "exposure_us")));
    CHECK_STR(json_string_value(json_object_get(c0, "timestamp")), "2023-11-14T22:13:20.500000Z");
    CHECK_STR(json_string_value(json_object_get(c0, "sha256")), r.sha256);
    fails = json_object_get(root, "failures");
    REQUIRE(json_array_size(fails) == 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(fails, 0), "status")),
              "no_document");
    json_decref(root);

    /* finished and complete */
    m.n_failures = 0;
    m.finished_us = m.started_us + 1;
    r.illum = *dx_illumination_find("white");
    strcpy(r.file, "white.png");
    CHECK(dx_manifest_add_capture(&m, &r) == DX_OK);
    CHECK(dx_manifest_write(&m, dir, &err) == DX_OK);
    root = json_load_file(path, 0, &jerr);
    REQUIRE(root != NULL);
    CHECK(json_is_true(json_object_get(root, "complete")));
    json_decref(root);
    CHECK(count_files(dir, ".capture") == 0); /* no temp files */

    dx_manifest_clear(&m);
    unlink(path);
    snprintf(path, sizeof path, "%s/abc.bin", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/empty.bin", dir);
    unlink(path);
    rmdir(dir);
    return dxtest_done();
}
