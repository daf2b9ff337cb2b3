# Install the build into a temporary prefix, check the layout, and run the
# installed docex (plugins and data found relative to the installed library).
. "$(dirname "$0")/../capture/lib.sh"
P=$T/prefix
if cmake --install "$DOCEX_BUILD" --prefix "$P" >"$T/install.log" 2>&1; then ok; else
  bad "cmake --install failed"; cat "$T/install.log" >&2; finish; exit 1; fi
libdir=$(cd "$P" && ls -d lib lib64 lib/*-linux-gnu 2>/dev/null | while read -r d; do
  [ -e "$P/$d/libdocex.so" ] && echo "$d"; done | head -1)
[ -n "$libdir" ] && ok || bad "no libdocex.so under $P/lib*"
for f in bin/docex "$libdir/docex/1/sim.so" "$libdir/gstreamer-1.0/libgstdocex.so" \
         include/docex/plugin.h include/docex/docex.h include/docex/status.h \
         include/docex/illumination.h share/docex/illuminations.json \
         share/docex/schemas/capture.schema.json share/docex/scenes/default/scene.json \
         share/docex/scenes/default/white.png; do
  [ -e "$P/$f" ] && ok || bad "not installed: $f"
done
# only the entry point is exported by an installed plugin
nm -D --defined-only "$P/$libdir/docex/1/sim.so" | awk '{print $3}' | grep -v '^$' >"$T/syms"
[ "$(cat "$T/syms")" = dxp_plugin_entry ] && ok || { bad "sim.so exports more:"; cat "$T/syms" >&2; }
# test plugins are not installed
find "$P" -name 'liar.so' -o -name 'mini.so' | grep -q . && bad "test plugins installed" || ok

# the installed docex finds its plugins and data by itself
unset DOCEX_PLUGIN_PATH DOCEX_DATA_DIR DOCEX_SET
expect_status 0 "$P/bin/docex" plugins --json
expect_grep "$T/out" "\"path\": \"$P/$libdir/docex/1/sim.so\""
expect_status 0 "$P/bin/docex" capture --device sim:0 --illum white,ir870 --out "$T/set"
check_manifest "$T/set" complete yes captured white,ir870
# and so does the installed GStreamer plugin
if command -v gst-launch-1.0 >/dev/null; then
  pre=; [ "${DOCEX_ASAN:-}" = 1 ] && pre="env LD_PRELOAD=$DOCEX_LIBASAN"
  expect_status 0 $pre env GST_PLUGIN_PATH="$P/$libdir/gstreamer-1.0" GST_REGISTRY="$T/reg.bin" \
    gst-launch-1.0 -q dxsrc device=sim:0 illumination=white num-buffers=1 ! fakesink
fi
finish
