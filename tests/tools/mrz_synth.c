/* mrz_synth — see mrz_synth.h. */
#include "mrz_synth.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static FT_Library ft_lib;
static FT_Face ft_face;

static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

int mrzs_init(const char *font_path, char *err, size_t errsize)
{
    if (ft_face)
        return 0;
    if (!font_path)
        font_path = getenv("DOCEX_OCRB_FONT");
    if (!font_path || !*font_path)
        font_path = MRZS_DEFAULT_FONT;
    if (FT_Init_FreeType(&ft_lib)) {
        seterr(err, errsize, "FreeType does not initialise");
        return -1;
    }
    if (FT_New_Face(ft_lib, font_path, 0, &ft_face)) {
        seterr(err, errsize, "cannot load the OCR-B font %s (Debian package fonts-ocr-b)",
               font_path);
        FT_Done_FreeType(ft_lib);
        ft_lib = NULL;
        ft_face = NULL;
        return -1;
    }
    return 0;
}

void mrzs_done(void)
{
    if (ft_face)
        FT_Done_Face(ft_face);
    if (ft_lib)
        FT_Done_FreeType(ft_lib);
    ft_face = NULL;
    ft_lib = NULL;
}

uint64_t mrzs_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rand_u(uint64_t *s)
{
    return (double)(mrzs_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double rand_gauss(uint64_t *s)
{
    double u = rand_u(s), v = rand_u(s);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* ---- ink layer -------------------------------------------------------- */

typedef struct layer {
    int w, h;
    float *a; /* coverage 0..1 */
} layer;

/* Draw `text` in OCR-B: cap height cap_px, cell pitch pitch_px, first cell's
 * left edge at x0, baseline at y.  Glyphs centred in their cells. */
static void draw_text(layer *L, const char *text, double x0, double baseline, double cap_px,
                      double pitch_px)
{
    /* 'H' is 0.723 em high in this font; its advance is 0.723 em too */
    double em = cap_px / 0.723;
    FT_Set_Char_Size(ft_face, 0, (FT_F26Dot6)lround(em * 64.0), 72, 72);
    double adv = em * 0.723;
    for (size_t i = 0; text[i]; i++) {
        if (text[i] == ' ')
            continue;
        double ox = x0 + (double)i * pitch_px + (pitch_px - adv) / 2.0;
        double fx = floor(ox), fy = floor(baseline);
        FT_Vector d = {(FT_Pos)lround((ox - fx) * 64.0), (FT_Pos)lround(-(baseline - fy) * 64.0)};
        FT_Set_Transform(ft_face, NULL, &d);
        if (FT_Load_Char(ft_face, (FT_ULong)(unsigned char)text[i], FT_LOAD_RENDER))
            continue;
        FT_GlyphSlot g = ft_face->glyph;
        int gx = (int)fx + g->bitmap_left, gy = (int)fy - g->bitmap_top;
        for (unsigned r = 0; r < g->bitmap.rows; r++) {
            int y = gy + (int)r;
            if (y < 0 || y >= L->h)
                continue;
            const unsigned char *row = g->bitmap.buffer + (long)r * g->bitmap.pitch;
            for (unsigned c = 0; c < g->bitmap.width; c++) {
                int x = gx + (int)c;
                if (x < 0 || x >= L->w)
                    continue;
                float v = row[c] / 255.0f;
                float *p = &L->a[(size_t)y * L->w + x];
                *p = *p + v - *p * v;
            }
        }
    }
    FT_Set_Transform(ft_face, NULL, NULL);
}

/* Grow (spread > 0) or thin (< 0) strokes by about |spread| px: a 3x3
 * max/min filter blended by the fraction. */
static void spread_ink(layer *L, double spread)
{
    int passes = (int)ceil(fabs(spread));
    float *tmp = malloc(sizeof(float) * (size_t)L->w * L->h);
    if (!tmp)
        return;
    for (int k = 0; k < passes; k++) {
        double frac = fabs(spread) - k;
        if (frac > 1)
            frac = 1;
        memcpy(tmp, L->a, sizeof(float) * (size_t)L->w * L->h);
        for (int y = 1; y < L->h - 1; y++)
            for (int x = 1; x < L->w - 1; x++) {
                float m = tmp[(size_t)y * L->w + x];
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        if (dx && dy)
                            continue;
                        float v = tmp[(size_t)(y + dy) * L->w + x + dx];
                        m = spread > 0 ? (v > m ? v : m) : (v < m ? v : m);
                    }
                float *p = &L->a[(size_t)y * L->w + x];
                *p = (float)(*p + (m - *p) * frac);
            }
    }
    free(tmp);
}

/* ---- degradations ------------------------------------------------------ */

static void gauss_blur(float *img, int w, int h, int ch, double sigma)
{
    if (sigma <= 0.05)
        return;
    int r = (int)ceil(sigma * 3.0);
    float *k = malloc(sizeof(float) * (size_t)(2 * r + 1));
    int n = w > h ? w : h;
    float *line = malloc(sizeof(float) * (size_t)n * ch);
    if (!k || !line) {
        free(k);
        free(line);
        return;
    }
    double sum = 0;
    for (int i = -r; i <= r; i++)
        sum += (k[i + r] = (float)exp(-(double)i * i / (2 * sigma * sigma)));
    for (int i = 0; i <= 2 * r; i++)
        k[i] = (float)(k[i] / sum);
    for (int y = 0; y < h; y++) {
        float *row = img + (size_t)y * w * ch;
        memcpy(line, row, sizeof(float) * (size_t)w * ch);
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                float acc = 0;
                for (int i = -r; i <= r; i++) {
                    int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
                    acc += k[i + r] * line[(size_t)xx * ch + c];
                }
                row[(size_t)x * ch + c] = acc;
            }
    }
    for (int x = 0; x < w; x++) {
        for (int y = 0; y < h; y++)
            for (int c = 0; c < ch; c++)
                line[(size_t)y * ch + c] = img[((size_t)y * w + x) * ch + c];
        for (int y = 0; y < h; y++)
            for (int c = 0; c < ch; c++) {
                float acc = 0;
                for (int i = -r; i <= r; i++) {
                    int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
                    acc += k[i + r] * line[(size_t)yy * ch + c];
                }
                img[((size_t)y * w + x) * ch + c] = acc;
            }
    }
    free(k);
    free(line);
}

static int jpeg_roundtrip(mrzs_image *img, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr je, jd;
    unsigned char *buf = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&je);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = (JDIMENSION)img->width;
    c.image_height = (JDIMENSION)img->height;
    c.input_components = img->channels;
    c.in_color_space = img->channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = img->pixels + (size_t)c.next_scanline * img->width * img->channels;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);

    d.err = jpeg_std_error(&jd);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, buf, size);
    jpeg_read_header(&d, TRUE);
    jpeg_start_decompress(&d);
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = img->pixels + (size_t)d.output_scanline * img->width * img->channels;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    free(buf);
    return 0;
}

/* ---- page ------------------------------------------------------------- */

static const char *const viz_words[] = {"PASSPORT", "PASSEPORT", "UTOPIA", "SURNAME", "NOM",
                                        "GIVEN", "NAMES", "PRENOMS", "NATIONALITY", "DATE",
                                        "OF", "BIRTH", "SEX", "PLACE", "AUTHORITY", "EXPIRY",
                                        "12", "AUG", "1974", "ZENITH", "ERIKSSON", "ANNA"};

int mrzs_render(const char *const *lines, size_t n, const mrzs_params *p, mrzs_image *out,
                char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    if (!ft_face && mrzs_init(NULL, err, errsize))
        return -1;
    if (n < 1 || n > 3) {
        seterr(err, errsize, "1 to 3 lines");
        return -1;
    }
    size_t len = strlen(lines[0]);
    for (size_t i = 0; i < n; i++)
        if (strlen(lines[i]) != len || len > 44) {
            seterr(err, errsize, "lines must be of one length, at most 44");
            return -1;
        }
    if (p->dpi < 50 || p->dpi > 2400) {
        seterr(err, errsize, "dpi %d out of range", p->dpi);
        return -1;
    }
    uint64_t rng = p->seed * 0x2545F4914F6CDD1Dull + 1;
    double mm = p->dpi / 25.4;
    double cap_mm = p->char_height_mm > 0 ? p->char_height_mm : 2.2;
    double pitch = 2.54 * mm, line_pitch = 25.4 / 6.0 * mm, cap = cap_mm * mm;
    double mrz_w = (double)len * pitch;
    /* page: TD3 125 x 88, TD2 105 x 74, TD1 85.6 x 54 mm; else MRZ + margin */
    double pw_mm, ph_mm;
    if (!p->page) {
        pw_mm = (double)len * 2.54 + 12.0;
        ph_mm = (double)n * 25.4 / 6.0 + 10.0;
    } else if (len == 44) {
        pw_mm = 125.0, ph_mm = 88.0;
    } else if (len == 36) {
        pw_mm = 105.0, ph_mm = 74.0;
    } else {
        pw_mm = 85.6, ph_mm = 54.0;
    }
    int W = (int)lround(pw_mm * mm), H = (int)lround(ph_mm * mm);
    layer ink = {W, H, calloc((size_t)W * H, sizeof(float))};
    float *page = malloc(sizeof(float) * (size_t)W * H * 3);
    if (!ink.a || !page) {
        free(ink.a);
        free(page);
        seterr(err, errsize, "out of memory");
        return -1;
    }
    double x0 = (W - mrz_w) / 2.0;
    double bottom_base = H - (p->page ? 4.5 : 5.0) * mm - (line_pitch - cap) / 2.0;
    for (size_t i = 0; i < n; i++)
        draw_text(&ink, lines[i], x0, bottom_base - (double)(n - 1 - i) * line_pitch, cap, pitch);
    if (p->ink_spread_px != 0)
        spread_ink(&ink, p->ink_spread_px);

    /* paper: pale tint, fine wavy lines */
    double tint[3] = {0.93 + 0.05 * rand_u(&rng), 0.90 + 0.07 * rand_u(&rng),
                      0.86 + 0.10 * rand_u(&rng)};
    double ink_rgb[3] = {0.10 + 0.05 * rand_u(&rng), 0.10 + 0.05 * rand_u(&rng),
                         0.14 + 0.08 * rand_u(&rng)};
    double wave_f = (0.8 + 0.8 * rand_u(&rng)) / mm, wave_ph = rand_u(&rng) * 6.28;
    double line_mm = 0.9 + 0.6 * rand_u(&rng);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double t = sin((y + 3.0 * mm * sin(x * wave_f * 0.3 + wave_ph)) / (line_mm * mm) *
                           2 * M_PI);
            double g = t > 0.85 ? 0.06 * (t - 0.85) / 0.15 : 0.0;
            float *q = &page[((size_t)y * W + x) * 3];
            q[0] = (float)(tint[0] - g);
            q[1] = (float)(tint[1] - g * 0.5);
            q[2] = (float)(tint[2] - g * 0.8);
        }
    if (p->page) {
        /* photo: a dark smooth blob in a frame, left of the visual zone */
        int px0 = (int)(5 * mm), py0 = (int)(12 * mm), px1 = (int)(px0 + 0.28 * W),
            py1 = (int)(H - 5.0 * mm - n * line_pitch - 4 * mm);
        for (int y = py0; y < py1 && y < H; y++)
            for (int x = px0; x < px1 && x < W; x++) {
                double u = (x - px0) / (double)(px1 - px0), v = (y - py0) / (double)(py1 - py0);
                double d = (u - 0.5) * (u - 0.5) * 3 + (v - 0.45) * (v - 0.45) * 2;
                double s = d < 0.2 ? 0.35 + d : 0.75 - 0.2 * v;
                float *q = &page[((size_t)y * W + x) * 3];
                q[0] = (float)(s * 0.95);
                q[1] = (float)(s * 0.85);
                q[2] = (float)(s * 0.80);
            }
        /* visual zone: words in OCR-B at other sizes and pitches */
        double vx = px1 + 4 * mm, vy = py0 + 2 * mm;
        char buf[64];
        for (int row = 0; vy < py1 - 2 * mm && row < 8; row++) {
            buf[0] = '\0';
            int words = 1 + (int)(mrzs_rand(&rng) % 3);
            for (int k = 0; k < words; k++) {
                const char *w = viz_words[mrzs_rand(&rng) % (sizeof viz_words / sizeof *viz_words)];
                if (strlen(buf) + strlen(w) + 2 < sizeof buf) {
                    if (k)
                        strcat(buf, " ");
                    strcat(buf, w);
                }
            }
            double c = (row % 2 ? 1.3 : 2.0) * mm;
            draw_text(&ink, buf, vx, vy + c, c, c * 1.0);
            vy += c * 2.2;
        }
    }
    /* compose ink over paper */
    for (size_t i = 0; i < (size_t)W * H; i++) {
        float a = ink.a[i];
        for (int c = 0; c < 3; c++)
            page[i * 3 + c] = (float)(page[i * 3 + c] * (1 - a) + ink_rgb[c] * a);
    }
    free(ink.a);

    /* rotate about the centre onto a canvas that holds the whole page;
     * outside the page: a grey scanner lid */
    double th = p->rotation_deg * M_PI / 180.0, cs = cos(th), sn = sin(th);
    int OW = (int)ceil(fabs(W * cs) + fabs(H * sn)) + (int)(4 * mm);
    int OH = (int)ceil(fabs(W * sn) + fabs(H * cs)) + (int)(4 * mm);
    float *rot = malloc(sizeof(float) * (size_t)OW * OH * 3);
    if (!rot) {
        free(page);
        seterr(err, errsize, "out of memory");
        return -1;
    }
    double lid = 0.80;
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) {
            /* screen: y down; counter-clockwise on screen = clockwise in y-down maths */
            double dx = x + 0.5 - OW / 2.0, dy = y + 0.5 - OH / 2.0;
            double sx = cs * dx - sn * dy + W / 2.0 - 0.5, sy = sn * dx + cs * dy + H / 2.0 - 0.5;
            float *q = &rot[((size_t)y * OW + x) * 3];
            int ix = (int)floor(sx), iy = (int)floor(sy);
            if (ix < -1 || iy < -1 || ix >= W || iy >= H) {
                q[0] = q[1] = q[2] = (float)lid;
                continue;
            }
            double fx = sx - ix, fy = sy - iy;
            for (int c = 0; c < 3; c++) {
                double v = 0;
                for (int k = 0; k < 4; k++) {
                    int xx = ix + (k & 1), yy = iy + (k >> 1);
                    double wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
                    v += wgt * ((xx < 0 || yy < 0 || xx >= W || yy >= H)
                                    ? lid
                                    : page[((size_t)yy * W + xx) * 3 + c]);
                }
                q[c] = (float)v;
            }
        }
    free(page);

    /* uneven light: a linear fall-off in a random direction plus a soft spot */
    if (p->light_gradient > 0) {
        double a = rand_u(&rng) * 2 * M_PI, ca = cos(a), sa = sin(a);
        double diag = sqrt((double)OW * OW + (double)OH * OH);
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++) {
                double t = ((x - OW / 2.0) * ca + (y - OH / 2.0) * sa) / diag + 0.5;
                double f = 1.0 - p->light_gradient * t;
                float *q = &rot[((size_t)y * OW + x) * 3];
                for (int c = 0; c < 3; c++)
                    q[c] = (float)(q[c] * f);
            }
    }
    gauss_blur(rot, OW, OH, 3, p->blur_sigma_px);

    out->width = OW;
    out->height = OH;
    out->channels = p->colour ? 3 : 1;
    out->pixels = malloc((size_t)OW * OH * out->channels);
    if (!out->pixels) {
        free(rot);
        seterr(err, errsize, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < (size_t)OW * OH; i++) {
        const float *q = &rot[i * 3];
        if (p->colour) {
            for (int c = 0; c < 3; c++) {
                double v = q[c] * 255.0 + (p->noise_sigma > 0 ? p->noise_sigma * rand_gauss(&rng) : 0);
                out->pixels[i * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
            }
        } else {
            double v = (0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2]) * 255.0 +
                       (p->noise_sigma > 0 ? p->noise_sigma * rand_gauss(&rng) : 0);
            out->pixels[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    }
    free(rot);
    if (p->jpeg_quality > 0)
        jpeg_roundtrip(out, p->jpeg_quality > 100 ? 100 : p->jpeg_quality);
    return 0;
}

void mrzs_image_free(mrzs_image *img)
{
    free(img->pixels);
    img->pixels = NULL;
}

int mrzs_write_png(const char *path, const mrzs_image *img, int dpi)
{
    return mrzs_write_png_bits(path, img, dpi, 8);
}

/* bits 16: the samples of a 12-bit sensor in a 16-bit PNG (v * 16 plus a
 * fixed pattern in the low bits), so a reader must not assume 8-bit range. */
int mrzs_write_png_bits(const char *path, const mrzs_image *img, int dpi, int bits)
{
    uint16_t *volatile row16 = NULL;
    if (bits == 16 && !(row16 = malloc((size_t)img->width * img->channels * 2)))
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        free(row16);
        return -1;
    }
    png_init_io(png, f);
    png_set_compression_level(png, 3);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, bits == 16 ? 16 : 8,
                 img->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (dpi > 0) {
        png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    }
    png_write_info(png, info);
    if (row16)
        png_set_swap(png); /* samples in host order, PNG wants big-endian */
    for (int y = 0; y < img->height; y++) {
        const uint8_t *src = img->pixels + (size_t)y * img->width * img->channels;
        if (!row16) {
            png_write_row(png, src);
            continue;
        }
        for (int i = 0; i < img->width * img->channels; i++)
            row16[i] = (uint16_t)(src[i] * 16 + ((i * 7 + y * 13) & 15));
        png_write_row(png, (png_bytep)row16);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row16);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- MRZ text ---------------------------------------------------------- */

int mrzs_check_digit(const char *s, size_t n)
{
    static const int w[3] = {7, 3, 1};
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v;
        char c = s[i];
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'A' && c <= 'Z')
            v = c - 'A' + 10;
        else if (c == '<')
            v = 0;
        else
            return -1;
        sum += v * w[i % 3];
    }
    return sum % 10;
}

static const char *const codes[] = {"UTO", "D<<", "FRA", "NLD", "GBR", "USA", "CAN", "AUS",
                                    "JPN", "BRA", "ZAF", "IND", "EUE", "UNO", "XXA", "ITA"};

static void fill(char *dst, size_t n, char c)
{
    memset(dst, c, n);
}

static void put(char *dst, size_t n, const char *s)
{
    size_t k = strlen(s);
    memcpy(dst, s, k < n ? k : n);
}

static void rand_alnum(uint64_t *r, char *dst, size_t n, int letters_pct)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (int)(mrzs_rand(r) % 100) < letters_pct ? (char)('A' + mrzs_rand(r) % 26)
                                                         : (char)('0' + mrzs_rand(r) % 10);
}

static void rand_name(uint64_t *r, char *dst, size_t n)
{
    fill(dst, n, '<');
    size_t pos = 0;
    int parts = 2 + (int)(mrzs_rand(r) % 3);
    for (int k = 0; k < parts && pos < n; k++) {
        size_t len = 2 + mrzs_rand(r) % 10;
        for (size_t i = 0; i < len && pos < n; i++)
            dst[pos++] = (char)('A' + mrzs_rand(r) % 26);
        pos += k == 0 ? 2 : 1; /* "<<" after the primary identifier */
    }
}

static void rand_date(uint64_t *r, char *dst)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = (int)(mrzs_rand(r) % 100), m = 1 + (int)(mrzs_rand(r) % 12);
    int d = 1 + (int)(mrzs_rand(r) % (uint64_t)mdays[m - 1]);
    dst[0] = (char)('0' + y / 10);
    dst[1] = (char)('0' + y % 10);
    dst[2] = (char)('0' + m / 10);
    dst[3] = (char)('0' + m % 10);
    dst[4] = (char)('0' + d / 10);
    dst[5] = (char)('0' + d % 10);
}

static char cd(const char *s, size_t n)
{
    return (char)('0' + mrzs_check_digit(s, n));
}

size_t mrzs_random_mrz(uint64_t *r, int format, char L[3][45])
{
    memset(L, 0, 3 * 45);
    const char *state = codes[mrzs_rand(r) % (sizeof codes / sizeof *codes)];
    const char *nat = codes[mrzs_rand(r) % (sizeof codes / sizeof *codes)];
    char sex = "MFX<"[mrzs_rand(r) % 4];
    if (format == 1) {
        for (int i = 0; i < 3; i++)
            fill(L[i], 30, '<');
        put(L[0], 2, mrzs_rand(r) % 2 ? "I<" : (mrzs_rand(r) % 2 ? "ID" : "AC"));
        put(L[0] + 2, 3, state);
        rand_alnum(r, L[0] + 5, 9, 40);
        L[0][14] = cd(L[0] + 5, 9);
        if (mrzs_rand(r) % 2)
            rand_alnum(r, L[0] + 15, 1 + mrzs_rand(r) % 15, 50);
        rand_date(r, L[1]);
        L[1][6] = cd(L[1], 6);
        L[1][7] = sex;
        rand_date(r, L[1] + 8);
        L[1][14] = cd(L[1] + 8, 6);
        put(L[1] + 15, 3, nat);
        if (mrzs_rand(r) % 2)
            rand_alnum(r, L[1] + 18, 1 + mrzs_rand(r) % 11, 50);
        char comp[64];
        memcpy(comp, L[0] + 5, 25);
        memcpy(comp + 25, L[1], 7);
        memcpy(comp + 32, L[1] + 8, 7);
        memcpy(comp + 39, L[1] + 18, 11);
        L[1][29] = cd(comp, 50);
        rand_name(r, L[2], 30);
        return 3;
    }
    size_t len = format == 2 ? 36 : 44;
    for (int i = 0; i < 2; i++)
        fill(L[i], len, '<');
    put(L[0], 2, format == 3 ? (mrzs_rand(r) % 2 ? "P<" : "PO") : (mrzs_rand(r) % 2 ? "I<" : "AC"));
    put(L[0] + 2, 3, state);
    rand_name(r, L[0] + 5, len - 5);
    rand_alnum(r, L[1], 9, 30);
    L[1][9] = cd(L[1], 9);
    put(L[1] + 10, 3, nat);
    rand_date(r, L[1] + 13);
    L[1][19] = cd(L[1] + 13, 6);
    L[1][20] = sex;
    rand_date(r, L[1] + 21);
    L[1][27] = cd(L[1] + 21, 6);
    char comp[64];
    if (format == 3) {
        if (mrzs_rand(r) % 2) {
            rand_alnum(r, L[1] + 28, 1 + mrzs_rand(r) % 14, 50);
            L[1][42] = cd(L[1] + 28, 14);
        }
        memcpy(comp, L[1], 10);
        memcpy(comp + 10, L[1] + 13, 7);
        memcpy(comp + 17, L[1] + 21, 22);
        L[1][43] = cd(comp, 39);
    } else {
        if (mrzs_rand(r) % 2)
            rand_alnum(r, L[1] + 28, 1 + mrzs_rand(r) % 7, 50);
        memcpy(comp, L[1], 10);
        memcpy(comp + 10, L[1] + 13, 7);
        memcpy(comp + 17, L[1] + 21, 14);
        L[1][35] = cd(comp, 31);
    }
    return 2;
}

size_t mrzs_specimen(int format, char L[3][45])
{
    static const char *const td1[3] = {"I<UTOD231458907<<<<<<<<<<<<<<<",
                                       "7408122F1204159UTO<<<<<<<<<<<6",
                                       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"};
    static const char *const td2[2] = {"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                                       "D231458907UTO7408122F1204159<<<<<<<6"};
    static const char *const td3[2] = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
    memset(L, 0, 3 * 45);
    const char *const *s = format == 1 ? td1 : format == 2 ? td2 : td3;
    size_t n = format == 1 ? 3 : 2;
    for (size_t i = 0; i < n; i++)
        strcpy(L[i], s[i]);
    return n;
}

/* ---- recogniser templates ---------------------------------------------- */

/* Must match core/src/icao/ocr_glyphs.h. */
#define TW 20
#define TH 32
#define TCAP 24

int mrzs_emit_templates(FILE *out, char *err, size_t errsize)
{
    static const char classes[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";
    if (!ft_face && mrzs_init(NULL, err, errsize))
        return -1;
    const int K = 10; /* supersampling: render at TCAP * K px cap height */
    double em = TCAP * K / 0.723;
    FT_Set_Char_Size(ft_face, 0, (FT_F26Dot6)lround(em * 64.0), 72, 72);
    fprintf(out,
            "/* Generated by `mrz-render --emit-templates` (tests/tools/mrz_synth.c) from\n"
            " * the OCR-B font of Debian fonts-ocr-b: do not edit.  Each glyph rendered with\n"
            " * its cap height ('H') at %d px, ink 0..255, its bounding box centred in\n"
            " * a %d x %d cell. */\n"
            "#include \"icao/ocr_glyphs.h\"\n\n"
            "const char dx_ocr_classes[DX_OCR_NCLASS + 1] = \"%s\";\n\n"
            "const uint8_t dx_ocr_glyphs[DX_OCR_NCLASS][DX_OCR_TH][DX_OCR_TW] = {\n",
            TCAP, TW, TH, classes);
    for (size_t k = 0; classes[k]; k++) {
        if (FT_Load_Char(ft_face, (FT_ULong)(unsigned char)classes[k], FT_LOAD_RENDER)) {
            seterr(err, errsize, "glyph %c missing", classes[k]);
            return -1;
        }
        FT_Bitmap *b = &ft_face->glyph->bitmap;
        /* bbox centre in bitmap coords */
        double cx = b->width / 2.0, cy = b->rows / 2.0;
        fprintf(out, "    /* '%c' */ {\n", classes[k]);
        for (int v = 0; v < TH; v++) {
            fprintf(out, "        {");
            for (int u = 0; u < TW; u++) {
                double x0 = cx + (u - TW / 2.0) * K, y0 = cy + (v - TH / 2.0) * K;
                double acc = 0;
                for (int yy = 0; yy < K; yy++)
                    for (int xx = 0; xx < K; xx++) {
                        int X = (int)floor(x0 + xx), Y = (int)floor(y0 + yy);
                        if (X >= 0 && Y >= 0 && X < (int)b->width && Y < (int)b->rows)
                            acc += b->buffer[(size_t)Y * b->pitch + X];
                    }
                fprintf(out, "%d%s", (int)lround(acc / (K * K)), u + 1 < TW ? "," : "");
            }
            fprintf(out, "}%s\n", v + 1 < TH ? "," : "");
        }
        fprintf(out, "    }%s\n", classes[k + 1] ? "," : "");
    }
    fprintf(out, "};\n");
    return 0;
}
