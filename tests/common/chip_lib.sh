# Shell helpers for tests of chip files (EF.SOD, DGs) with the openssl tool.
# Sourced after tests/integration/capture/lib.sh (which sets $PY and $T).

# strip_tlv IN OUT : the value of the one TLV in IN (the 77 of EF.SOD, the 6F of DG15)
strip_tlv() {
  $PY - "$1" "$2" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
i = 2 if d[0] & 0x1F == 0x1F else 1
n = d[i]; i += 1
if n & 0x80:
    k = n & 0x7F; n = int.from_bytes(d[i:i + k], 'big'); i += k
assert i + n == len(d), "trailing bytes"
open(sys.argv[2], 'wb').write(d[i:i + n])
PY
}
# sod_hashes CMS_CONTENT : "DG HEX" per line from an LDSSecurityObject
sod_hashes() {
  openssl asn1parse -inform DER -in "$1" | awk '
    / INTEGER / { n = $0; sub(/.*:/, "", n) }
    /\[HEX DUMP\]/ { h = $0; sub(/.*:/, "", h); print n, tolower(h) }' |
  while read -r n hex; do echo "$((0x$n)) $hex"; done
}
# hashes_match DIR : every DG hash in the SOD equals sha256sum of the file
# served; prints the DGs that do not match on stdout
hashes_match() {
  strip_tlv "$1/EF.SOD" "$T/sod.cms"
  openssl cms -verify -inform DER -in "$T/sod.cms" -noverify -out "$T/lso.der" 2>/dev/null
  sod_hashes "$T/lso.der" | while read -r dg hex; do
    got=$(sha256sum "$1/EF.DG$dg" | cut -d' ' -f1)
    [ "$got" = "$hex" ] || echo "$dg"
  done
}

