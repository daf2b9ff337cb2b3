/* sim — what the simulated sensor does to a frame: placement of the document
 * on the glass (shift, rotation) and sensor noise. */
#include "sim.h"

#include <math.h>
#include <string.h>

static inline uint32_t load_px(const uint8_t *p, dxp_pixel_format fmt, unsigned c)
{
    if (fmt == DXP_PIXEL_GRAY16)
        return (uint32_t)p[0] | (uint32_t)p[1] << 8;
    return p[c];
}

static inline void store_px(uint8_t *p, dxp_pixel_format fmt, unsigned c, uint32_t v)
{
    if (fmt == DXP_PIXEL_GRAY16) {
        p[0] = (uint8_t)(v & 0xff);
        p[1] = (uint8_t)(v >> 8);
    } else {
        p[c] = (uint8_t)v;
    }
}

/* The background as one pixel of the frame's format. */
static void background_px(const uint8_t rgb[3], dxp_pixel_format fmt, uint8_t out[3])
{
    if (fmt == DXP_PIXEL_RGB24) {
        memcpy(out, rgb, 3);
        return;
    }
    /* ITU-R BT.601 luma */
    double y = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
    uint32_t v = (uint32_t)lround(y);
    if (fmt == DXP_PIXEL_GRAY16)
        store_px(out, fmt, 0, v * 257u);
    else
        out[0] = (uint8_t)v;
}

static void fill_row(uint8_t *row, uint32_t n, const uint8_t *bg, uint32_t bpp)
{
    for (uint32_t i = 0; i < n; i++)
        memcpy(row + (size_t)i * bpp, bg, bpp);
}

/* Snaps a coordinate to the nearest integer when it is one up to rounding. */
static inline double snap(double v)
{
    double r = nearbyint(v);
    return fabs(v - r) < 1e-6 ? r : v;
}

static void place_integer(const uint8_t *src, uint8_t *dst, uint32_t bpp, uint32_t w, uint32_t h,
                          long dx, long dy, const uint8_t *bg)
{
    size_t stride = (size_t)w * bpp;
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = dst + stride * y;
        long sy = (long)y - dy;
        if (sy < 0 || sy >= (long)h || dx >= (long)w || -dx >= (long)w) {
            fill_row(row, w, bg, bpp);
            continue;
        }
        const uint8_t *srow = src + stride * (size_t)sy;
        if (dx >= 0) {
            fill_row(row, (uint32_t)dx, bg, bpp);
            memcpy(row + (size_t)dx * bpp, srow, (size_t)(w - (uint32_t)dx) * bpp);
        } else {
            uint32_t k = (uint32_t)(-dx);
            memcpy(row, srow + (size_t)k * bpp, (size_t)(w - k) * bpp);
            fill_row(row + (size_t)(w - k) * bpp, k, bg, bpp);
        }
    }
}

bool sim_render_place(const uint8_t *src, uint8_t *dst, dxp_pixel_format fmt, uint32_t w,
                      uint32_t h, const sim_placement *pl, const uint8_t background[3])
{
    uint32_t bpp = dxp_pixel_size(fmt);
    unsigned channels = fmt == DXP_PIXEL_RGB24 ? 3 : 1;
    uint8_t bg[3];
    double sx = snap(pl->shift_x_px), sy = snap(pl->shift_y_px);
    double rot = fmod(pl->rotation_deg, 360.0);

    if (rot == 0.0 && sx == 0.0 && sy == 0.0)
        return false;
    background_px(background, fmt, bg);
    if (rot == 0.0 && sx == nearbyint(sx) && sy == nearbyint(sy)) {
        place_integer(src, dst, bpp, w, h, (long)sx, (long)sy, bg);
        return true;
    }

    /* Forward: out = c + R(rot) (in - c) + shift, with y pointing down and a
     * positive angle turning counter-clockwise on screen.  Sample the inverse. */
    double a = rot * M_PI / 180.0;
    double ca = cos(a), sa = sin(a);
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    size_t stride = (size_t)w * bpp;
    if (fabs(ca) < 1e-12)
        ca = 0.0;
    if (fabs(sa) < 1e-12)
        sa = 0.0;

    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = dst + stride * y;
        double oy = y - sy - cy;
        for (uint32_t x = 0; x < w; x++) {
            double ox = x - sx - cx;
            double fx = snap(ox * ca - oy * sa + cx);
            double fy = snap(ox * sa + oy * ca + cy);
            uint8_t *out = row + (size_t)x * bpp;
            if (fx <= -1.0 || fy <= -1.0 || fx >= w || fy >= h) {
                memcpy(out, bg, bpp);
                continue;
            }
            double x0f = floor(fx), y0f = floor(fy);
            long x0 = (long)x0f, y0 = (long)y0f;
            double tx = fx - x0f, ty = fy - y0f;
            for (unsigned c = 0; c < channels; c++) {
                double acc = 0.0;
                for (int j = 0; j < 2; j++) {
                    double wy = j ? ty : 1.0 - ty;
                    if (wy == 0.0)
                        continue;
                    long yy = y0 + j;
                    for (int i = 0; i < 2; i++) {
                        double wx = i ? tx : 1.0 - tx;
                        if (wx == 0.0)
                            continue;
                        long xx = x0 + i;
                        uint32_t v;
                        if (xx < 0 || yy < 0 || xx >= (long)w || yy >= (long)h)
                            v = load_px(bg, fmt, c);
                        else
                            v = load_px(src + stride * (size_t)yy + (size_t)xx * bpp, fmt, c);
                        acc += wx * wy * v;
                    }
                }
                store_px(out, fmt, c, (uint32_t)lround(acc));
            }
        }
    }
    return true;
}

void sim_render_noise(uint8_t *buf, dxp_pixel_format fmt, uint32_t w, uint32_t h, double sigma,
                      uint64_t *rng)
{
    size_t n = (size_t)w * h * (fmt == DXP_PIXEL_RGB24 ? 3 : 1);
    bool wide = fmt == DXP_PIXEL_GRAY16;
    /* Irwin-Hall: the sum of four uniforms from one 64-bit draw has mean 2 and
     * variance 1/3; scaled to unit variance it is a good, fast Gaussian for a
     * sensor (tails cut at 3.46 sigma). */
    double scale = sigma * (wide ? 257.0 : 1.0) * sqrt(3.0) / 65536.0;
    double offset = 2.0 * 65536.0;
    int32_t maxv = wide ? 65535 : 255;

    for (size_t i = 0; i < n; i++) {
        uint64_t r = sim_rng_next(rng);
        double s = (double)(r & 0xffff) + (double)(r >> 16 & 0xffff) +
                   (double)(r >> 32 & 0xffff) + (double)(r >> 48);
        int32_t d = (int32_t)lround((s - offset) * scale);
        int32_t v;
        if (wide) {
            v = (int32_t)(buf[2 * i] | buf[2 * i + 1] << 8) + d;
            v = v < 0 ? 0 : v > maxv ? maxv : v;
            buf[2 * i] = (uint8_t)(v & 0xff);
            buf[2 * i + 1] = (uint8_t)(v >> 8);
        } else {
            v = (int32_t)buf[i] + d;
            buf[i] = (uint8_t)(v < 0 ? 0 : v > maxv ? maxv : v);
        }
    }
}
