/* docex — the GStreamer plugin libgstdocex.so.
 *
 * A thin wrapper: the dxsrc element lives in libdocex (capture/dxsrc.c) and is
 * only registered here.  plugin_init() has no side effects beyond the
 * registration (no host, no device is opened), so gst-plugin-scanner can load
 * the plugin safely. */
/* GST_PLUGIN_DEFINE takes the descriptor's "source" field from PACKAGE. */
#define PACKAGE "docex"

#include <gst/gst.h>

#include "docex/docex.h"

static gboolean plugin_init(GstPlugin *plugin)
{
    return dx_gst_register(plugin) ? TRUE : FALSE;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, docex, "docex document capture devices",
                  plugin_init, DOCEX_VERSION, "LGPL", "docex", "docex")
