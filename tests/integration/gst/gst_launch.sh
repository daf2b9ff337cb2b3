#!/usr/bin/env bash
# gst_launch — the documented gst-launch-1.0 line works with libgstdocex.so on
# GST_PLUGIN_PATH, and its PNGs decode to the same pixels as the docex CLI's
# capture of the same illuminations.
#   usage: gst_launch.sh PNGCMP
# Env (from ctest): DOCEX_CLI, GST_PLUGIN_PATH, GST_REGISTRY; under the asan
# build DOCEX_ASAN=1 and DOCEX_LIBASAN (gst-launch-1.0 is not instrumented, so
# the runtime is preloaded into it).
set -euo pipefail

pngcmp=${1:?usage: gst_launch.sh PNGCMP}
command -v gst-launch-1.0 >/dev/null || { echo "SKIP: no gst-launch-1.0"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/docex-gst.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

launch=(gst-launch-1.0 -q)
if [[ ${DOCEX_ASAN:-0} == 1 ]]; then
  launch=(env LD_PRELOAD="${DOCEX_LIBASAN:?}" gst-launch-1.0 -q)
  # scan plugins in-process: the scanner child of the (instrumented) docex CLI
  # would not have the ASan runtime and would mark libgstdocex.so broken
  export GST_REGISTRY_FORK=no
fi

fail=0
for illum in uv365 ir870; do
  echo "== gst-launch-1.0 dxsrc device=sim:0 illumination=$illum num-buffers=1 ! videoconvert ! pngenc ! filesink"
  if ! "${launch[@]}" dxsrc device=sim:0 illumination="$illum" num-buffers=1 \
       ! videoconvert ! pngenc ! filesink location="$tmp/gst-$illum.png" >"$tmp/launch.log" 2>&1; then
    cat "$tmp/launch.log"
    echo "FAIL: gst-launch-1.0 failed for $illum"
    fail=1
    continue
  fi
  cat "$tmp/launch.log"
  [[ -s $tmp/gst-$illum.png ]] || { echo "FAIL: no PNG for $illum"; fail=1; }
done
((fail == 0)) || exit 1

# The element is described: properties and caps.
inspect=(gst-inspect-1.0)
[[ ${DOCEX_ASAN:-0} == 1 ]] && inspect=(env LD_PRELOAD="$DOCEX_LIBASAN" gst-inspect-1.0)
"${inspect[@]}" dxsrc >"$tmp/inspect.txt" 2>&1 || { cat "$tmp/inspect.txt"; echo "FAIL: gst-inspect-1.0 dxsrc"; exit 1; }
for want in 'device' 'illumination' 'settings' 'num-buffers' 'GRAY16_LE' 'GRAY8' 'RGB' 'Source/Video'; do
  grep -q -- "$want" "$tmp/inspect.txt" || { echo "FAIL: gst-inspect-1.0 dxsrc does not show $want"; exit 1; }
done

if [[ ! -x ${DOCEX_CLI:-} ]]; then
  echo "SKIP: the docex CLI (${DOCEX_CLI:-unset}) is not built; gst-launch part passed"
  exit 77
fi
echo "== docex capture --device sim:0 --illum uv365,ir870 --out DIR"
if ! "$DOCEX_CLI" capture --device sim:0 --illum uv365,ir870 --out "$tmp/cli" >"$tmp/cli.log" 2>&1; then
  cat "$tmp/cli.log"
  echo "FAIL: docex capture failed"
  exit 1
fi
[[ -s $tmp/cli/capture.json ]] || { echo "FAIL: no capture.json"; exit 1; }
for illum in uv365 ir870; do
  printf '%s: ' "$illum"
  "$pngcmp" "$tmp/gst-$illum.png" "$tmp/cli/$illum.png" || { echo "FAIL: $illum differs"; fail=1; }
done
exit $fail
