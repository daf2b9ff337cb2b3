/* The BER-TLV reader and writer (core/src/icao/tlv.c) and command/response
 * APDUs (apdu.c): every form the reader takes, every way it refuses, the
 * writer's nesting, and the Lc/Le cases of ISO/IEC 7816-4. */
#include <stdlib.h>
#include <string.h>

#include "dxtest.h"
#include "icao/apdu.h"
#include "icao/tlv.h"

static size_t hex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        while (*h == ' ')
            h++;
        if (sscanf(h, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Parse hex as one object: the status, and on success tag and value length. */
static dx_status one(const char *h, uint32_t *tag, size_t *len, dx_error *err)
{
    uint8_t b[64];
    size_t n = hex(h, b);
    dx_tlv t;
    dx_status st = dx_tlv_parse_single(b, n, 0, &t, "test", err);
    if (st == DX_OK) {
        *tag = t.tag;
        *len = t.len;
    }
    return st;
}

static void reader_forms(void)
{
    dx_error err = {0};
    uint32_t tag = 0;
    size_t len = 0;

    CHECK(one("8001AA", &tag, &len, &err) == DX_OK && tag == 0x80 && len == 1);
    CHECK(one("5F1F00", &tag, &len, &err) == DX_OK && tag == 0x5F1F && len == 0);
    CHECK(one("7F4900", &tag, &len, &err) == DX_OK && tag == 0x7F49 && len == 0);
    CHECK(one("5F811F00", &tag, &len, &err) == DX_OK && tag == 0x5F811F);       /* 3 bytes */
    CHECK(one("0481020102", &tag, &len, &err) == DX_OK && len == 2);          /* 81 form */
    CHECK(one("048200020102", &tag, &len, &err) == DX_OK && len == 2);        /* 82 form */
    CHECK(one("04830000020102", &tag, &len, &err) == DX_OK && len == 2);
    CHECK(one("0484000000020102", &tag, &len, &err) == DX_OK && len == 2);

    /* refusals, each with a message naming the buffer */
    CHECK(one("", &tag, &len, &err) == DX_ERR_DATA);
    CHECK(strstr(err.message, "test:") == err.message);
    CHECK(one("00", &tag, &len, &err) == DX_ERR_DATA);                    /* not a tag */
    CHECK(one("FF00", &tag, &len, &err) == DX_ERR_DATA);
    CHECK(one("5F", &tag, &len, &err) == DX_ERR_DATA);                    /* tag cut */
    CHECK(one("5F8001", &tag, &len, &err) == DX_ERR_DATA);                /* not minimal */
    CHECK(one("5F818100", &tag, &len, &err) == DX_ERR_DATA);              /* 4-byte tag */
    CHECK(strstr(err.message, "longer than 3") != NULL);
    CHECK(one("80", &tag, &len, &err) == DX_ERR_DATA);                    /* no length */
    CHECK(one("8080", &tag, &len, &err) == DX_ERR_DATA);                  /* indefinite */
    CHECK(strstr(err.message, "indefinite") != NULL);
    CHECK(one("808500000000", &tag, &len, &err) == DX_ERR_DATA);          /* 5 length bytes */
    CHECK(one("8082", &tag, &len, &err) == DX_ERR_DATA);                  /* length cut */
    CHECK(one("8003AABB", &tag, &len, &err) == DX_ERR_DATA);              /* value cut */
    CHECK(strstr(err.message, "declares 3 bytes") != NULL);
    CHECK(one("8484FFFFFFFF00", &tag, &len, &err) == DX_ERR_DATA);        /* huge length */
    CHECK(one("800100FF", &tag, &len, &err) == DX_ERR_DATA);              /* trailing byte */
    CHECK(strstr(err.message, "unexpected bytes") != NULL);
}

static void reader_walk(void)
{
    /* 7C { 81 02 0102, 82 00 }, 9000-like trailing object 99 02 9000 */
    uint8_t b[32];
    size_t n = hex("7C0681020102820099029000", b);
    dx_tlv_reader r, in;
    dx_tlv t, u;
    dx_error err = {0};
    uint32_t v = 0;

    dx_tlv_reader_init(&r, b, n, "walk");
    REQUIRE(dx_tlv_read_expect(&r, 0x7C, &t, &err) == DX_OK);
    CHECK(t.constructed && t.len == 6 && t.offset == 0 && t.raw_len == 8);
    dx_tlv_reader_enter(&in, &r, &t, NULL);
    CHECK(dx_tlv_read_expect(&in, 0x82, &u, &err) == DX_ERR_DATA);   /* 81 comes first */
    CHECK(strstr(err.message, "offset 2") != NULL);                   /* absolute offset */
    CHECK(dx_tlv_read(&in, &u, &err) == DX_OK && u.tag == 0x81 && u.len == 2 && u.offset == 2);
    CHECK(dx_tlv_read(&in, &u, &err) == DX_OK && u.tag == 0x82 && u.len == 0);
    CHECK(dx_tlv_reader_done(&in));
    CHECK(dx_tlv_read(&in, &u, &err) == DX_ERR_DATA);
    CHECK(dx_tlv_find(b, n, 0x99, &u, "walk", &err) == DX_OK && u.len == 2 && u.offset == 8);
    CHECK(dx_tlv_find(b, n, 0x98, &u, "walk", &err) == DX_ERR_NOT_FOUND);
    CHECK(dx_tlv_find(b, n - 1, 0x98, &u, "walk", &err) == DX_ERR_DATA);

    /* header of a file whose value is not at hand yet */
    {
        uint32_t tag;
        size_t hdr, vlen;
        CHECK(dx_tlv_peek_header(b, 4, &tag, &hdr, &vlen, "EF", &err) == DX_OK && tag == 0x7C &&
              hdr == 2 && vlen == 6);
        n = hex("7582A0B1", b);
        CHECK(dx_tlv_peek_header(b, n, &tag, &hdr, &vlen, "EF", &err) == DX_OK && hdr == 4 &&
              vlen == 0xA0B1);
        CHECK(dx_tlv_peek_header(b, 3, &tag, &hdr, &vlen, "EF", &err) == DX_ERR_DATA);
    }

    /* INTEGERs */
    n = hex("020100", b);
    REQUIRE(dx_tlv_parse_single(b, n, 0x02, &t, "int", &err) == DX_OK);
    CHECK(dx_tlv_get_uint(&t, &v, NULL, &err) == DX_OK && v == 0);
    n = hex("020500FFFFFFFF", b);
    REQUIRE(dx_tlv_parse_single(b, n, 0x02, &t, "int", &err) == DX_OK);
    CHECK(dx_tlv_get_uint(&t, &v, NULL, &err) == DX_OK && v == 0xFFFFFFFFu);
    n = hex("020180", b);
    REQUIRE(dx_tlv_parse_single(b, n, 0x02, &t, "int", &err) == DX_OK);
    CHECK(dx_tlv_get_uint(&t, &v, NULL, &err) == DX_ERR_DATA);            /* negative */
    n = hex("02050100000000", b);
    REQUIRE(dx_tlv_parse_single(b, n, 0x02, &t, "int", &err) == DX_OK);
    CHECK(dx_tlv_get_uint(&t, &v, NULL, &err) == DX_ERR_DATA);            /* too long */
    n = hex("0200", b);
    REQUIRE(dx_tlv_parse_single(b, n, 0x02, &t, "int", &err) == DX_OK);
    CHECK(dx_tlv_get_uint(&t, &v, NULL, &err) == DX_ERR_DATA);            /* empty */
}

static void writer(void)
{
    uint8_t b[400], big[300];
    dx_tlv_writer w;
    size_t n = 0, m1, m2;
    dx_error err = {0};
    dx_tlv t;

    /* 7F49 { 06 .., 86 .. } nested, short lengths */
    dx_tlv_writer_init(&w, b, sizeof b);
    m1 = dx_tlv_begin(&w, 0x7F49);
    dx_tlv_put(&w, 0x06, (const uint8_t *)"\x04\x00\x7F", 3);
    dx_tlv_put_byte(&w, 0x86, 0x04);
    dx_tlv_end(&w, m1);
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_OK);
    CHECK(n == 11 && memcmp(b, "\x7F\x49\x08\x06\x03\x04\x00\x7F\x86\x01\x04", 11) == 0);

    /* a constructed object whose contents need a long length: moved up */
    memset(big, 0xAB, sizeof big);
    dx_tlv_writer_init(&w, b, sizeof b);
    m1 = dx_tlv_begin(&w, 0x7C);
    m2 = dx_tlv_begin(&w, 0x30);
    dx_tlv_put(&w, 0x04, big, 200);
    dx_tlv_end(&w, m2);
    dx_tlv_end(&w, m1);
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_OK);
    CHECK(n == 3 + 3 + 3 + 200);
    CHECK(memcmp(b, "\x7C\x81\xCE\x30\x81\xCB\x04\x81\xC8", 9) == 0 && b[9] == 0xAB &&
          b[n - 1] == 0xAB);
    CHECK(dx_tlv_parse_single(b, n, 0x7C, &t, "w", &err) == DX_OK && t.len == 206);

    /* 82 lengths, 3-byte tags */
    dx_tlv_writer_init(&w, b, sizeof b);
    dx_tlv_put(&w, 0x5F811F, big, 290);
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_OK && n == 3 + 3 + 290);
    CHECK(b[0] == 0x5F && b[1] == 0x81 && b[2] == 0x1F && b[3] == 0x82 && b[4] == 0x01 &&
          b[5] == 0x22);
    CHECK(dx_tlv_header_size(0x5F811F, 290) == 6 && dx_tlv_len_size(0x10000) == 4);

    /* overflow is sticky and reported */
    dx_tlv_writer_init(&w, b, 10);
    dx_tlv_put(&w, 0x04, big, 20);
    dx_tlv_put_byte(&w, 0x80, 1);
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_ERR_INVALID_ARG);
    dx_tlv_writer_init(&w, b, 10);
    m1 = dx_tlv_begin(&w, 0x7C);
    dx_tlv_put(&w, 0x04, big, 6);
    dx_tlv_end(&w, m1);                               /* 7C 08 04 06 ... fits exactly */
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_OK && n == 10 && b[1] == 8);
    dx_tlv_writer_init(&w, b, 200);
    m1 = dx_tlv_begin(&w, 0x7C);
    dx_tlv_put(&w, 0x04, big, 195);                   /* 198 bytes, length 81 C6 needs one more */
    dx_tlv_end(&w, m1);
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_ERR_INVALID_ARG);
    dx_tlv_writer_init(&w, b, 10);
    dx_tlv_put(&w, 0x01000000, big, 1);
    CHECK(dx_tlv_writer_finish(&w, &n, &err) == DX_ERR_INVALID_ARG);
}

static void apdu_case(const dx_apdu *a, const char *want)
{
    uint8_t b[70000], w[300];
    size_t n = 0, wn = hex(want, w);
    dx_error err = {0};
    dx_apdu d;

    CHECK_MSG(dx_apdu_encode(a, b, sizeof b, &n, &err) == DX_OK, "%s", err.message);
    CHECK_MSG(n == wn && memcmp(b, w, n) == 0, "INS %02X: want %s", a->ins, want);
    CHECK(dx_apdu_encoded_size(a) == n);
    /* and back */
    REQUIRE(dx_apdu_decode(b, n, &d, &err) == DX_OK);
    CHECK(d.cla == a->cla && d.ins == a->ins && d.p1 == a->p1 && d.p2 == a->p2);
    CHECK(d.nc == a->nc && d.ne == a->ne);
    CHECK(d.nc == 0 || memcmp(d.data, a->data, d.nc) == 0);
}

static void apdus(void)
{
    static uint8_t data[300], buf[70000];
    dx_error err = {0};
    dx_apdu d;
    dx_rapdu r;
    size_t n;

    memset(data, 0x11, sizeof data);
    apdu_case(&(dx_apdu){.ins = 0x84}, "00840000");                                /* 1 */
    apdu_case(&(dx_apdu){.ins = 0x84, .ne = 8}, "0084000008");                     /* 2S */
    apdu_case(&(dx_apdu){.ins = 0xB0, .ne = 256}, "00B0000000");
    apdu_case(&(dx_apdu){.ins = 0xA4, .p1 = 2, .p2 = 0x0C, .data = data, .nc = 2},
              "00A4020C021111");                                                   /* 3S */
    apdu_case(&(dx_apdu){.ins = 0x82, .data = data, .nc = 1, .ne = 40}, "00820000011128"); /* 4S */
    apdu_case(&(dx_apdu){.ins = 0xB0, .ne = 257}, "00B00000000101");              /* 2E */
    apdu_case(&(dx_apdu){.ins = 0xB0, .ne = 65536}, "00B00000000000");
    apdu_case(&(dx_apdu){.ins = 0xB0, .ne = 5, .extended = true}, "00B00000000005");
    apdu_case(&(dx_apdu){.ins = 0x86, .data = data, .nc = 1, .ne = 65536}, "00860000000001110000");
    apdu_case(&(dx_apdu){.ins = 0x86, .data = data, .nc = 1, .extended = true}, "0086000000000111");
    {
        /* 3E with 300 bytes */
        dx_apdu a = {.ins = 0xD6, .data = data, .nc = 300};
        CHECK(dx_apdu_encode(&a, buf, sizeof buf, &n, &err) == DX_OK && n == 4 + 3 + 300);
        CHECK(buf[4] == 0 && buf[5] == 0x01 && buf[6] == 0x2C);
        CHECK(dx_apdu_is_extended(&a));
    }
    CHECK(dx_apdu_encode(&(dx_apdu){.ins = 0xB0, .ne = 65537}, buf, sizeof buf, &n, &err) ==
          DX_ERR_INVALID_ARG);
    CHECK(dx_apdu_encode(&(dx_apdu){.ins = 0xB0, .nc = 3}, buf, sizeof buf, &n, &err) ==
          DX_ERR_INVALID_ARG);
    CHECK(dx_apdu_encode(&(dx_apdu){.ins = 0xB0, .ne = 1}, buf, 4, &n, &err) ==
          DX_ERR_INVALID_ARG);

    /* commands that fit no case */
    n = hex("00B000", buf);
    CHECK(dx_apdu_decode(buf, n, &d, &err) == DX_ERR_DATA);
    n = hex("00A4020C0311", buf);
    CHECK(dx_apdu_decode(buf, n, &d, &err) == DX_ERR_DATA);
    n = hex("00B0000000", buf);
    CHECK(dx_apdu_decode(buf, n, &d, &err) == DX_OK && d.ne == 256);
    n = hex("00B000000000", buf);
    CHECK(dx_apdu_decode(buf, n, &d, &err) == DX_ERR_DATA);
    n = hex("00B00000000000AA", buf);
    CHECK(dx_apdu_decode(buf, n, &d, &err) == DX_ERR_DATA);

    /* responses */
    n = hex("01029000", buf);
    CHECK(dx_rapdu_parse(buf, n, &r, &err) == DX_OK && r.len == 2 && r.sw == 0x9000);
    CHECK(dx_rapdu_parse(buf, 1, &r, &err) == DX_ERR_PROTOCOL);
    CHECK(strcmp(dx_apdu_sw_str(0x6A82), "file or application not found") == 0);
    CHECK(strstr(dx_apdu_sw_str(0x63C2), "retries") != NULL);
}

/* A chip that answers 61XX and 6CXX. */
static int rounds;
static dx_status chained(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                         size_t *len)
{
    (void)ctx;
    rounds++;
    if (cmd[1] == 0xB0 && n == 5 && cmd[4] != 0x03) {
        memcpy(rsp, "\x6C\x03", 2);                     /* wrong Le: 3 is right */
        *len = 2;
    } else if (cmd[1] == 0xB0) {
        memcpy(rsp, "\xAA\xBB\x61\x02", 4);             /* 2 bytes, 2 more to come */
        *len = 4;
    } else if (cmd[1] == 0xC0 && cmd[4] == 0x02) {
        memcpy(rsp, "\xCC\xDD\x90\x00", 4);
        *len = 4;
    } else {
        *len = cap + 1;                                  /* a broken transport */
    }
    return DX_OK;
}

/* A card that has left the field; what the device said of it. */
static const char *why_text = "device sim:chip0: transmit: card removed";
static dx_status removed(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap, size_t *len)
{
    (void)ctx, (void)cmd, (void)n, (void)rsp, (void)cap, (void)len;
    return DX_ERR_CARD_REMOVED;
}

static const char *removed_why(void *ctx)
{
    (void)ctx;
    return why_text;
}

static void transmit(void)
{
    dx_apdu_transport t = {chained, NULL, NULL};
    uint8_t rsp[16];
    dx_rapdu r;
    dx_error err = {0};

    CHECK(dx_apdu_transmit(&t, &(dx_apdu){.ins = 0xB0, .ne = 5}, rsp, sizeof rsp, &r, &err) ==
          DX_OK);
    CHECK(rounds == 3 && r.sw == 0x9000 && r.len == 4 && memcmp(r.data, "\xAA\xBB\xCC\xDD", 4) == 0);
    CHECK(dx_apdu_transmit(&t, &(dx_apdu){.ins = 0x84, .ne = 8}, rsp, sizeof rsp, &r, &err) ==
          DX_ERR_INTERNAL);
    t.transmit = NULL;
    CHECK(dx_apdu_transmit(&t, &(dx_apdu){.ins = 0x84, .ne = 8}, rsp, sizeof rsp, &r, &err) ==
          DX_ERR_INVALID_ARG);
    /* a transport that fails: its status, and its own words when it has them */
    t = (dx_apdu_transport){removed, NULL, NULL};
    CHECK(dx_apdu_transmit(&t, &(dx_apdu){.ins = 0xB0, .ne = 4}, rsp, sizeof rsp, &r, &err) ==
          DX_ERR_CARD_REMOVED);
    CHECK_MSG(strcmp(err.message, "APDU INS B0: transmit failed: card removed") == 0, "%s", err.message);
    t.why = removed_why;
    CHECK(dx_apdu_transmit(&t, &(dx_apdu){.ins = 0xB0, .ne = 4}, rsp, sizeof rsp, &r, &err) ==
          DX_ERR_CARD_REMOVED);
    CHECK_MSG(strcmp(err.message, "APDU INS B0: transmit failed: device sim:chip0: transmit: card removed") == 0,
              "%s", err.message);
    why_text = "";
    CHECK(dx_apdu_transmit(&t, &(dx_apdu){.ins = 0xB0, .ne = 4}, rsp, sizeof rsp, &r, &err) ==
          DX_ERR_CARD_REMOVED);
    CHECK_MSG(strcmp(err.message, "APDU INS B0: transmit failed: card removed") == 0, "%s", err.message);
}

int main(void)
{
    reader_forms();
    reader_walk();
    writer();
    apdus();
    transmit();
    return dxtest_done();
}
