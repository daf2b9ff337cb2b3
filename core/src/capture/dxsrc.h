/* docex — the dxsrc GStreamer element (internal header).
 *
 * dxsrc is a GstPushSrc that captures still frames from any docex capture
 * device (scanner or camera) through the public API (docex.h) and pushes them
 * as video/x-raw (GRAY8, GRAY16_LE or RGB; framerate 0/1).  It is compiled
 * into libdocex; the GStreamer plugin libgstdocex.so (gstplugin.c) only
 * registers it.  dx_gst_register() is declared in docex/docex.h.
 *
 * Properties: "device" (default "sim:0"), "illumination" (default "white",
 * may be changed while playing: the next frame renegotiates caps when the
 * format changes), "settings" (device options "name=value,...", applied at
 * start), "device-handle" (a dx_device * the application already opened:
 * dxsrc then captures from it instead of opening "device", never closes it,
 * and the caller must keep it open until the element is back in READY;
 * "settings", if any, are applied to it at start), and GstBaseSrc's
 * "num-buffers".
 *
 * Bus messages (element messages, posted by dxsrc from its streaming thread
 * or, for start failures, from the thread changing the state):
 *
 *   DX_GST_MSG_FRAME, once per frame, before the buffer is pushed:
 *     "device" string, "illumination" string, "index" guint64 (0-based frame
 *     number since start, also the buffer's offset), "timestamp-us" gint64
 *     (wall clock at exposure, µs since the epoch, from the device),
 *     "exposure-us" gint64 (-1 when unknown), "gain" gdouble (0 when unknown),
 *     "width" "height" "dpi" guint, "format" string (GRAY8, GRAY16_LE, RGB),
 *     "stride" guint (bytes per row of the pushed buffer).
 *
 *   DX_GST_MSG_ERROR, on any failure (host, open, options, frame format,
 *   capture), before the GST_MESSAGE_ERROR that follows it:
 *     "status" gint (a dx_status), "status-name" string (dx_status_name()),
 *     "message" string (one line: what failed, device, illumination, why),
 *     "device" string, "illumination" string.
 *   The GST_MESSAGE_ERROR carries the same message as its text and the same
 *   structure as its details (gst_message_parse_error_details()).
 *
 * A capture cancelled because the element is being flushed or shut down
 * (unlock(): dx_device_cancel) ends quietly with GST_FLOW_FLUSHING.
 */
#ifndef DOCEX_CAPTURE_DXSRC_H
#define DOCEX_CAPTURE_DXSRC_H

#include "docex/docex.h"

#define DX_GST_ELEMENT "dxsrc"
#define DX_GST_MSG_FRAME "docex-frame"
#define DX_GST_MSG_ERROR "docex-error"

/* GStreamer caps format name of a dxp_pixel_format ("GRAY8", "GRAY16_LE",
 * "RGB"), or NULL for an unknown one. */
const char *dx_gst_format_name(dxp_pixel_format format);

#endif
