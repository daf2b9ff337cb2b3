/* No MRZ: a clear DX_ERR_NOT_FOUND ("no MRZ found"), never a crash.  Files:
 * a corrupt or truncated PNG is DX_ERR_DATA, a missing one DX_ERR_IO.  Bad
 * views are DX_ERR_INVALID_ARG.  16-bit and RGB16 views read like 8-bit. */
#include <stdio.h>
#include <unistd.h>

#include "common.h"
#include "dxtest.h"

static dx_status read_view(const void *px, uint32_t w, uint32_t h, size_t stride, dx_pixfmt f,
                           dx_mrz_read_result *r, dx_error *e)
{
    dx_image_view v = {px, w, h, stride, f};
    return dx_mrz_read_image(&v, NULL, r, e);
}

int main(void)
{
    mrt_init();
    dx_mrz_read_result *r = malloc(sizeof *r);
    dx_error e;
    REQUIRE(r);
    char dir[] = "/tmp/docex-mrzread-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char path[256];

    /* blank, black, noise, tiny */
    enum { W = 900, H = 640 };
    uint8_t *px = malloc((size_t)W * H * 6);
    REQUIRE(px);
    memset(px, 235, (size_t)W * H);
    CHECK(read_view(px, W, H, W, DX_PIX_GRAY8, r, &e) == DX_ERR_NOT_FOUND);
    CHECK(strstr(e.message, "no MRZ found") != NULL);
    memset(px, 0, (size_t)W * H);
    CHECK(read_view(px, W, H, W, DX_PIX_GRAY8, r, &e) == DX_ERR_NOT_FOUND);
    uint64_t rng = 9;
    for (size_t i = 0; i < (size_t)W * H; i++)
        px[i] = (uint8_t)mrzs_rand(&rng);
    CHECK(read_view(px, W, H, W, DX_PIX_GRAY8, r, &e) == DX_ERR_NOT_FOUND);
    CHECK(read_view(px, 1, 1, 1, DX_PIX_GRAY8, r, &e) == DX_ERR_NOT_FOUND);
    CHECK(read_view(px, 40, 3, 40, DX_PIX_GRAY8, r, &e) == DX_ERR_NOT_FOUND);
    /* stripes and a text-like grid that is not an MRZ */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[(size_t)y * W + x] = ((x / 9) % 2 && (y / 14) % 3 == 0) ? 20 : 230;
    CHECK(read_view(px, W, H, W, DX_PIX_GRAY8, r, &e) == DX_ERR_NOT_FOUND);

    /* a page with visual-zone text and one short line of OCR-B: no MRZ */
    {
        const char *line[1] = {"UTOPIA<PASSPORT"};
        mrzs_params p = {.dpi = 300, .page = true, .noise_sigma = 3};
        mrzs_image img;
        char err[256];
        REQUIRE(mrzs_render(line, 1, &p, &img, err, sizeof err) == 0);
        dx_status st = read_view(img.pixels, (uint32_t)img.width, (uint32_t)img.height,
                                 (size_t)img.width, DX_PIX_GRAY8, r, &e);
        CHECK_MSG(st == DX_ERR_NOT_FOUND, "page without an MRZ: %s", dx_status_str(st));
        mrzs_image_free(&img);
    }

    /* bad views */
    CHECK(read_view(NULL, W, H, W, DX_PIX_GRAY8, r, &e) == DX_ERR_INVALID_ARG);
    CHECK(read_view(px, 0, H, W, DX_PIX_GRAY8, r, &e) == DX_ERR_INVALID_ARG);
    CHECK(read_view(px, W, H, W - 1, DX_PIX_GRAY8, r, &e) == DX_ERR_INVALID_ARG);
    CHECK(read_view(px, W, H, W, (dx_pixfmt)9, r, &e) == DX_ERR_INVALID_ARG);
    CHECK(dx_mrz_read_image(NULL, NULL, r, &e) == DX_ERR_INVALID_ARG);
    CHECK(dx_mrz_read_file(NULL, NULL, r, &e) == DX_ERR_INVALID_ARG);

    /* the TD3 specimen as 16-bit grey and RGB16 views, and as a PNG file */
    char L[3][45];
    const char *lines[3];
    size_t n = mrzs_specimen(3, L);
    for (size_t i = 0; i < n; i++)
        lines[i] = L[i];
    mrzs_params p = {.dpi = 300, .page = true, .colour = true, .seed = 3};
    mrzs_image img;
    char err[256];
    REQUIRE(mrzs_render(lines, n, &p, &img, err, sizeof err) == 0);
    size_t np = (size_t)img.width * img.height;
    uint16_t *g16 = malloc(np * 2), *c16 = malloc(np * 6);
    REQUIRE(g16 && c16);
    for (size_t i = 0; i < np; i++) {
        const uint8_t *q = img.pixels + i * 3;
        g16[i] = (uint16_t)(((77u * q[0] + 150u * q[1] + 29u * q[2]) >> 8) * 257u);
        for (int k = 0; k < 3; k++)
            c16[i * 3 + k] = (uint16_t)(q[k] * 257u);
    }
    CHECK(read_view(g16, (uint32_t)img.width, (uint32_t)img.height, (size_t)img.width * 2,
                    DX_PIX_GRAY16, r, &e) == DX_OK &&
          strcmp(r->lines[1].text, L[1]) == 0);
    CHECK(read_view(c16, (uint32_t)img.width, (uint32_t)img.height, (size_t)img.width * 6,
                    DX_PIX_RGB16, r, &e) == DX_OK &&
          strcmp(r->lines[0].text, L[0]) == 0);
    free(g16);
    free(c16);

    snprintf(path, sizeof path, "%s/td3.png", dir);
    REQUIRE(mrzs_write_png(path, &img, 300) == 0);
    mrzs_image_free(&img);
    CHECK(dx_mrz_read_file(path, NULL, r, &e) == DX_OK && strcmp(r->lines[1].text, L[1]) == 0 &&
          !r->dpi_estimated && r->dpi > 299.9 && r->dpi < 300.1);

    /* truncated: the first half of that file */
    char cut[256];
    snprintf(cut, sizeof cut, "%s/cut.png", dir);
    {
        FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
        REQUIRE(in && out);
        fseek(in, 0, SEEK_END);
        long size = ftell(in);
        fseek(in, 0, SEEK_SET);
        for (long i = 0; i < size / 2; i++)
            fputc(fgetc(in), out);
        fclose(in);
        fclose(out);
    }
    dx_status st = dx_mrz_read_file(cut, NULL, r, &e);
    CHECK_MSG(st == DX_ERR_DATA, "truncated PNG: %s (%s)", dx_status_str(st), e.message);
    /* bytes flipped in the image data */
    {
        FILE *f = fopen(cut, "r+b");
        REQUIRE(f);
        fseek(f, 200, SEEK_SET);
        for (int i = 0; i < 64; i++)
            fputc(0x5A, f);
        fclose(f);
    }
    st = dx_mrz_read_file(cut, NULL, r, &e);
    CHECK_MSG(st == DX_ERR_DATA, "corrupt PNG: %s (%s)", dx_status_str(st), e.message);
    /* not a PNG at all */
    snprintf(path, sizeof path, "%s/text.png", dir);
    {
        FILE *f = fopen(path, "w");
        REQUIRE(f);
        fputs("P<UTOERIKSSON<<ANNA<MARIA\n", f);
        fclose(f);
    }
    CHECK(dx_mrz_read_file(path, NULL, r, &e) == DX_ERR_DATA);
    /* a PNG header that claims a huge image */
    {
        static const uint8_t hdr[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                      0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                      0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 8, 0, 0, 0, 0,
                                      0, 0, 0, 0};
        FILE *f = fopen(path, "wb");
        REQUIRE(f);
        fwrite(hdr, 1, sizeof hdr, f);
        fclose(f);
    }
    CHECK(dx_mrz_read_file(path, NULL, r, &e) == DX_ERR_DATA);
    snprintf(path, sizeof path, "%s/missing.png", dir);
    CHECK(dx_mrz_read_file(path, NULL, r, &e) == DX_ERR_IO);

    unlink(cut);
    snprintf(path, sizeof path, "%s/td3.png", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/text.png", dir);
    unlink(path);
    rmdir(dir);
    free(px);
    free(r);
    mrzs_done();
    return dxtest_done();
}
