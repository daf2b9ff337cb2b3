#!/usr/bin/env bash
# sim_chip_synth: chip directories made by the synthetic chip builder
# (core/src/synth/chip_build.c, through tests/unit/synth_chip's mkchip) are
# served by the simulated chip and checked end to end by `test-sim_chip
# --chip DIR`: BAC, PACE with the MRZ and the CAN, every file compared, AA
# with EF.DG15's key, CA.  Skipped (77) when mkchip is not built.
set -u
mkchip=${1:?usage: synth_chip.sh MKCHIP TEST-SIM-CHIP TRUST-DIR}
check=${2:?} trust=${3:?}
[ -x "$mkchip" ] || { echo "$mkchip not built: skipped"; exit 77; }
[ -d "$trust" ] || { echo "$trust missing: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
for variant in "--aa rsa" "--aa ecdsa" "--aa none --no-ca" "--aa rsa --no-pace" "--jpeg2000"; do
  n=$((n + 1))
  out=$tmp/chip$n
  # shellcheck disable=SC2086
  if ! "$mkchip" --trust "$trust" --out "$out" --seed $n $variant >"$tmp/mk.log" 2>&1; then
    echo "FAIL: mkchip $variant: $(cat "$tmp/mk.log")"
    fails=$((fails + 1))
    continue
  fi
  echo "== chip made with: $variant"
  if ! "$check" --chip "$out"; then
    echo "FAIL: the simulated chip with mkchip $variant"
    fails=$((fails + 1))
  fi
done
echo "$((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
