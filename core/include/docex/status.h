/* docex — status codes shared by the public API (dx_) and the vendor ABI (dxp_).
 *
 * The numeric values are part of the vendor ABI: they are never renumbered, and
 * new codes are only ever appended.  dx_status_str() is inline so that a plugin
 * can use it without linking libdocex. */
#ifndef DOCEX_STATUS_H
#define DOCEX_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dx_status {
    DX_OK = 0,
    /* caller and programming errors */
    DX_ERR_INVALID_ARG = 1,  /* an argument is out of range, unknown or NULL */
    DX_ERR_UNSUPPORTED = 2,  /* the device or plugin does not offer this */
    DX_ERR_NO_MEMORY = 3,
    DX_ERR_STATE = 4,        /* not allowed now: device closed, not opened, ... */
    DX_ERR_NOT_FOUND = 5,    /* no such device, plugin, file or option */
    DX_ERR_IO = 6,           /* file or transport I/O failed */
    DX_ERR_DATA = 7,         /* malformed outside bytes (file, reply, package) */
    DX_ERR_ABI = 8,          /* plugin ABI mismatch or malformed descriptor */
    DX_ERR_INTERNAL = 9,     /* a bug: should never be seen */
    DX_ERR_CANCELLED = 10,   /* the operation was cancelled by the caller */
    /* hardware states */
    DX_ERR_TIMEOUT = 11,     /* the device did not answer in time */
    DX_ERR_BUSY = 12,        /* the device is in use or warming up; retry later */
    DX_ERR_NO_DOCUMENT = 13, /* nothing on the glass / in the slot */
    DX_ERR_COVER_OPEN = 14,  /* the scanner's cover or hood is open */
    DX_ERR_DISCONNECTED = 15,/* the device went away; reopen it */
    DX_ERR_NO_CARD = 16,     /* no chip in the reader's field */
    DX_ERR_CARD_REMOVED = 17,/* the chip left the field during an exchange */
    DX_ERR_HARDWARE = 18,    /* the device reports a fault of its own */
    DX_ERR_PROTOCOL = 19,    /* the peer broke its protocol (bad APDU, bad reply) */
    DX_ERR_ACCESS_DENIED = 20, /* the chip refused the access key (MRZ, CAN, PIN):
                                  its authentication failed.  Added in ABI 1.0's
                                  lifetime for the host; plugins need not use it */
    DX_STATUS_COUNT_ = 21    /* not a status; the first unused value */
} dx_status;

/* A short, stable, lower-case description of a status (never NULL). */
static inline const char *dx_status_str(int status)
{
    switch (status) {
    case DX_OK: return "ok";
    case DX_ERR_INVALID_ARG: return "invalid argument";
    case DX_ERR_UNSUPPORTED: return "not supported";
    case DX_ERR_NO_MEMORY: return "out of memory";
    case DX_ERR_STATE: return "not allowed in this state";
    case DX_ERR_NOT_FOUND: return "not found";
    case DX_ERR_IO: return "input/output error";
    case DX_ERR_DATA: return "malformed data";
    case DX_ERR_ABI: return "plugin ABI mismatch";
    case DX_ERR_INTERNAL: return "internal error";
    case DX_ERR_CANCELLED: return "cancelled";
    case DX_ERR_TIMEOUT: return "device timeout";
    case DX_ERR_BUSY: return "device busy";
    case DX_ERR_NO_DOCUMENT: return "no document";
    case DX_ERR_COVER_OPEN: return "cover open";
    case DX_ERR_DISCONNECTED: return "device disconnected";
    case DX_ERR_NO_CARD: return "no card";
    case DX_ERR_CARD_REMOVED: return "card removed";
    case DX_ERR_HARDWARE: return "hardware fault";
    case DX_ERR_PROTOCOL: return "protocol error";
    case DX_ERR_ACCESS_DENIED: return "access denied";
    default: return "unknown status";
    }
}

/* Stable machine name of a status, for JSON ("no_document", ...). */
static inline const char *dx_status_name(int status)
{
    switch (status) {
    case DX_OK: return "ok";
    case DX_ERR_INVALID_ARG: return "invalid_arg";
    case DX_ERR_UNSUPPORTED: return "unsupported";
    case DX_ERR_NO_MEMORY: return "no_memory";
    case DX_ERR_STATE: return "state";
    case DX_ERR_NOT_FOUND: return "not_found";
    case DX_ERR_IO: return "io";
    case DX_ERR_DATA: return "data";
    case DX_ERR_ABI: return "abi";
    case DX_ERR_INTERNAL: return "internal";
    case DX_ERR_CANCELLED: return "cancelled";
    case DX_ERR_TIMEOUT: return "timeout";
    case DX_ERR_BUSY: return "busy";
    case DX_ERR_NO_DOCUMENT: return "no_document";
    case DX_ERR_COVER_OPEN: return "cover_open";
    case DX_ERR_DISCONNECTED: return "disconnected";
    case DX_ERR_NO_CARD: return "no_card";
    case DX_ERR_CARD_REMOVED: return "card_removed";
    case DX_ERR_HARDWARE: return "hardware";
    case DX_ERR_PROTOCOL: return "protocol";
    case DX_ERR_ACCESS_DENIED: return "access_denied";
    default: return "unknown";
    }
}

#ifdef __cplusplus
}
#endif
#endif
