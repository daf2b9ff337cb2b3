/* sim — the simulated contactless reader: the dxp_chip_ops contract over a
 * simulated eMRTD chip (chip_card.c), with the faults a real reader shows.
 *
 * The card in the field is the chip directory the caller names at
 * wait_card(); every wait_card() loads it afresh and powers a new session
 * (a card put on the reader again).  Options: no_card (the field is empty),
 * remove_after (the card leaves after N APDUs: the next transmit() fails with
 * card removed), latency_us (time per APDU, cancellable), extended_length
 * (false: the reader refuses extended APDUs) and chip (a chip directory for
 * this reader alone).
 *
 * Calls on one reader are serialised by the host except cancel(), which only
 * touches the mutex-protected cancel flag. */
#include "chip.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

enum {
    ROPT_NO_CARD,
    ROPT_REMOVE_AFTER,
    ROPT_LATENCY_US,
    ROPT_EXTENDED_LENGTH,
    ROPT_CHIP,
    ROPT_COUNT
};

static const dxp_option reader_options[ROPT_COUNT] = {
    [ROPT_NO_CARD] = {"no_card", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "false",
                      "the field is empty: wait_card waits out its timeout", {NULL}},
    [ROPT_REMOVE_AFTER] = {"remove_after", DXP_OPT_INT, DXP_UNIT_COUNT, 0, 1000000, 0, 0, NULL,
                           "0", "the card leaves the field after N APDUs (0: never)", {NULL}},
    [ROPT_LATENCY_US] = {"latency_us", DXP_OPT_INT, DXP_UNIT_MICROSECOND, 0, 10000000, 0, 0,
                         NULL, "0", "time each APDU takes (cancel() interrupts it)", {NULL}},
    [ROPT_EXTENDED_LENGTH] = {"extended_length", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL,
                              "true", "the reader passes extended-length APDUs", {NULL}},
    [ROPT_CHIP] = {"chip", DXP_OPT_STRING, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "",
                   "chip directory (empty: setting sim.chip, else <sim.scene>/chip)", {NULL}},
};

struct sim_reader {
    const dxp_host *host;
    unsigned index;
    dxp_value opt[ROPT_COUNT];
    sim_chip *chip;         /* the document in the field, loaded by wait_card() */
    sim_card *card;         /* the powered session, NULL when not connected */
    bool removed;           /* the card left the field during the connection */
    uint64_t n_apdus;       /* APDUs since wait_card() connected */
    uint8_t *rsp;           /* SIM_RSP_MAX */

    pthread_mutex_t lock;   /* guards running and cancel_requested */
    pthread_cond_t cond;
    bool running;
    bool cancel_requested;
};

const dxp_option *sim_reader_options(uint32_t *n)
{
    *n = ROPT_COUNT;
    return reader_options;
}

static int find_option(const char *name)
{
    for (int i = 0; i < ROPT_COUNT; i++)
        if (strcmp(reader_options[i].name, name) == 0)
            return i;
    return -1;
}

dx_status sim_reader_new(const dxp_host *host, unsigned index, sim_reader **out)
{
    sim_reader *r = calloc(1, sizeof *r);
    pthread_condattr_t ca;

    if (!r || !(r->rsp = malloc(SIM_RSP_MAX))) {
        free(r);
        return DX_ERR_NO_MEMORY;
    }
    r->host = host;
    r->index = index;
    if (pthread_condattr_init(&ca) != 0)
        goto fail;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        goto fail;
    }
    if (pthread_cond_init(&r->cond, &ca) != 0) {
        pthread_mutex_destroy(&r->lock);
        pthread_condattr_destroy(&ca);
        goto fail;
    }
    pthread_condattr_destroy(&ca);
    for (int i = 0; i < ROPT_COUNT; i++) {
        const dxp_option *o = &reader_options[i];
        r->opt[i].type = o->type;
        if (o->type == DXP_OPT_BOOL)
            r->opt[i].i = strcmp(o->default_value, "true") == 0;
        else if (o->type == DXP_OPT_INT)
            r->opt[i].i = strtoll(o->default_value, NULL, 10);
        else
            snprintf(r->opt[i].s, sizeof r->opt[i].s, "%s", o->default_value);
    }
    *out = r;
    return DX_OK;
fail:
    free(r->rsp);
    free(r);
    return DX_ERR_NO_MEMORY;
}

static void disconnect(sim_reader *r)
{
    sim_card_free(r->card);
    r->card = NULL;
    sim_chip_free(r->chip);
    r->chip = NULL;
    r->removed = false;
    r->n_apdus = 0;
}

void sim_reader_free(sim_reader *r)
{
    if (!r)
        return;
    disconnect(r);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    OPENSSL_cleanse(r->rsp, SIM_RSP_MAX);
    free(r->rsp);
    free(r);
}

dx_status sim_reader_set_option(sim_reader *r, const char *name, const dxp_value *value)
{
    int i;
    const dxp_option *o;

    if (!r || !name || !value)
        return DX_ERR_INVALID_ARG;
    if ((i = find_option(name)) < 0)
        return DX_ERR_NOT_FOUND;
    o = &reader_options[i];
    if (value->type != o->type)
        return DX_ERR_INVALID_ARG;
    switch (o->type) {
    case DXP_OPT_BOOL:
        if (value->i != 0 && value->i != 1)
            return DX_ERR_INVALID_ARG;
        break;
    case DXP_OPT_INT:
        if (value->i < o->min_i || value->i > o->max_i)
            return DX_ERR_INVALID_ARG;
        break;
    case DXP_OPT_STRING:
        if (!memchr(value->s, '\0', sizeof value->s))
            return DX_ERR_INVALID_ARG;
        break;
    default:
        return DX_ERR_INVALID_ARG;
    }
    memset(&r->opt[i], 0, sizeof r->opt[i]);
    r->opt[i].type = o->type;
    r->opt[i].i = value->i;
    if (o->type == DXP_OPT_STRING)
        snprintf(r->opt[i].s, sizeof r->opt[i].s, "%s", value->s);
    /* taking the card away while connected: the next APDU finds it gone */
    if (i == ROPT_NO_CARD && value->i && r->card)
        r->removed = true;
    return DX_OK;
}

dx_status sim_reader_get_option(sim_reader *r, const char *name, dxp_value *value)
{
    int i;
    if (!r || !name || !value)
        return DX_ERR_INVALID_ARG;
    if ((i = find_option(name)) < 0)
        return DX_ERR_NOT_FOUND;
    *value = r->opt[i];
    return DX_OK;
}

const char *sim_reader_chip_option(const sim_reader *r)
{
    return r->opt[ROPT_CHIP].s;
}

/* ---- cancellable waits ---------------------------------------------------- */

static void op_begin(sim_reader *r)
{
    pthread_mutex_lock(&r->lock);
    r->running = true;
    r->cancel_requested = false;
    pthread_mutex_unlock(&r->lock);
}

static void op_end(sim_reader *r)
{
    pthread_mutex_lock(&r->lock);
    r->running = false;
    r->cancel_requested = false;
    pthread_mutex_unlock(&r->lock);
}

/* Waits `us` microseconds (-1: until cancelled); DX_OK or DX_ERR_CANCELLED. */
static dx_status wait_us(sim_reader *r, int64_t us)
{
    struct timespec until;
    dx_status st = DX_OK;

    clock_gettime(CLOCK_MONOTONIC, &until);
    if (us >= 0) {
        until.tv_sec += (time_t)(us / 1000000);
        until.tv_nsec += (long)(us % 1000000) * 1000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&r->lock);
    while (!r->cancel_requested) {
        int rc = us < 0 ? pthread_cond_wait(&r->cond, &r->lock)
                        : pthread_cond_timedwait(&r->cond, &r->lock, &until);
        if (rc == ETIMEDOUT)
            break;
    }
    if (r->cancel_requested)
        st = DX_ERR_CANCELLED;
    pthread_mutex_unlock(&r->lock);
    return st;
}

dx_status sim_reader_cancel(sim_reader *r)
{
    if (!r)
        return DX_ERR_INVALID_ARG;
    pthread_mutex_lock(&r->lock);
    if (r->running) {
        r->cancel_requested = true;
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return DX_OK;
}

/* ---- the chip operations -------------------------------------------------- */

dx_status sim_reader_wait_card(sim_reader *r, const char *chip_dir, int32_t timeout_ms,
                               uint8_t *atr, size_t atr_size, size_t *atr_len)
{
    sim_chip *chip = NULL;
    dx_status st = DX_ERR_NOT_FOUND;

    if (!r || !atr || !atr_len || timeout_ms < -1)
        return DX_ERR_INVALID_ARG;
    disconnect(r); /* a new connection is a new power-up */
    op_begin(r);
    if (!r->opt[ROPT_NO_CARD].i && chip_dir)
        st = sim_chip_load(r->host, chip_dir, &chip);
    if (st == DX_ERR_NOT_FOUND) { /* the field stays empty */
        st = timeout_ms ? wait_us(r, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000) : DX_OK;
        op_end(r);
        return st == DX_OK ? DX_ERR_NO_CARD : st;
    }
    op_end(r);
    if (st != DX_OK)
        return st; /* a broken chip directory: logged by the loader */
    if (chip->atr_len > atr_size) {
        sim_chip_free(chip);
        return DX_ERR_INVALID_ARG;
    }
    if ((st = sim_card_new(r->host, chip, &r->card)) != DX_OK) {
        sim_chip_free(chip);
        return st;
    }
    r->chip = chip;
    memcpy(atr, chip->atr, chip->atr_len);
    *atr_len = chip->atr_len;
    dxp_log(r->host, DXP_LOG_DEBUG, "reader chip%u: card from %s connected", r->index, chip_dir);
    return DX_OK;
}

dx_status sim_reader_transmit(sim_reader *r, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                              size_t rsp_size, size_t *rsp_len)
{
    bool extended;
    size_t n;
    dx_status st;

    if (!r || !cmd || !rsp || !rsp_len)
        return DX_ERR_INVALID_ARG;
    if (!r->card)
        return DX_ERR_NO_CARD;
    if (r->removed)
        return DX_ERR_CARD_REMOVED;
    if (rsp_size < 2)
        return DX_ERR_INVALID_ARG;
    extended = cmd_len > 5 + 256 || (cmd_len >= 7 && cmd[4] == 0);
    if (extended && !r->opt[ROPT_EXTENDED_LENGTH].i)
        return DX_ERR_UNSUPPORTED;
    if (r->opt[ROPT_REMOVE_AFTER].i && r->n_apdus >= (uint64_t)r->opt[ROPT_REMOVE_AFTER].i) {
        dxp_log(r->host, DXP_LOG_INFO, "reader chip%u: the card left the field after %llu APDUs",
                r->index, (unsigned long long)r->n_apdus);
        r->removed = true;
        return DX_ERR_CARD_REMOVED;
    }
    if (r->opt[ROPT_LATENCY_US].i) {
        op_begin(r);
        st = wait_us(r, r->opt[ROPT_LATENCY_US].i);
        op_end(r);
        if (st != DX_OK)
            return st; /* cancelled before the card saw the command */
    }
    r->n_apdus++;
    n = sim_card_process(r->card, cmd, cmd_len, r->rsp);
    if (n > rsp_size) {
        dxp_log(r->host, DXP_LOG_DEBUG, "reader chip%u: a %zu-byte response does not fit the "
                "%zu-byte buffer", r->index, n, rsp_size);
        OPENSSL_cleanse(r->rsp, n);
        return DX_ERR_INVALID_ARG;
    }
    memcpy(rsp, r->rsp, n);
    OPENSSL_cleanse(r->rsp, n);
    *rsp_len = n;
    return DX_OK;
}

dx_status sim_reader_release_card(sim_reader *r)
{
    if (!r)
        return DX_ERR_INVALID_ARG;
    disconnect(r);
    return DX_OK;
}
