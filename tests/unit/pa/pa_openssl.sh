# Passive authentication (pa-tool, core/src/icao/pa.c) against the openssl
# command line tool, an implementation independent of ours, on a few SODs:
# genuine, a tampered DG, the untrusted (rogue) DS, a revoked DS, a broken
# signature.  Where `openssl cms -verify` succeeds, our signature,
# messageDigest and chain steps pass, and where it fails one of them fails;
# the DG hashes we report equal the SOD's (openssl asn1parse) and sha256sum's.
#   pa_openssl.sh MKCHIP PA_TOOL
. "$(dirname "$0")/../../integration/capture/lib.sh"
MKCHIP=${1:?usage: pa_openssl.sh MKCHIP PA_TOOL}
PATOOL=${2:?usage: pa_openssl.sh MKCHIP PA_TOOL}
TRUST=$SRC/share/trust/test
CSCA=$TRUST/utopia-csca.cert.pem
command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }
. "$SRC/tests/common/chip_lib.sh"
AT=1767225600 # 2026-01-01T00:00:00Z

# step NAME REPORT: the result of one step
step() { $PY -c 'import json,sys; print(json.load(open(sys.argv[2]))["steps"][sys.argv[1]]["result"])' "$1" "$2"; }
overall() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$1"; }
expect_eq() { # WHAT GOT WANT
  if [ "$2" = "$3" ]; then ok; else bad "$1: '$2', expected '$3'"; fi
}

# ours: every step; openssl: cms -verify (signature, messageDigest, chain)
compare() { # NAME CHIPDIR [openssl options...]
  name=$1 dir=$2; shift 2
  "$PATOOL" verify "$CSCA" "$dir" "$AT" >"$T/$name.json" 2>"$T/$name.err"
  strip_tlv "$dir/EF.SOD" "$T/$name.cms"
  if openssl cms -verify -inform DER -in "$T/$name.cms" -CAfile "$CSCA" -purpose any -binary \
       -out "$T/$name.lso" "$@" >/dev/null 2>"$T/$name.ossl"; then ossl=ok; else ossl=fail; fi
  s=$(step signature "$T/$name.json") d=$(step message_digest "$T/$name.json") \
    c=$(step chain "$T/$name.json")
  if [ "$s/$d/$c" = "passed/passed/passed" ]; then ours=ok; else ours=fail; fi
  expect_eq "$name: openssl cms -verify vs ours ($s/$d/$c)" "$ours" "$ossl"
  # openssl -noverify: the signature alone
  if openssl cms -verify -noverify -inform DER -in "$T/$name.cms" -binary -out /dev/null \
       >/dev/null 2>&1; then sig=ok; else sig=fail; fi
  if [ "$s/$d" = "passed/passed" ]; then ours=ok; else ours=fail; fi
  expect_eq "$name: signature, openssl cms -verify -noverify vs ours" "$ours" "$sig"
}

# the DG hashes: SOD (openssl asn1parse) = our expected; sha256sum = our computed
compare_hashes() { # NAME CHIPDIR
  openssl cms -verify -noverify -inform DER -in "$T/$1.cms" -binary -out "$T/$1.lso" 2>/dev/null
  sod_hashes "$T/$1.lso" >"$T/$1.sodh"
  $PY - "$T/$1.json" "$2" "$T/$1.sodh" <<'PY' && ok || bad "$1: DG hashes differ from openssl's / sha256sum's"
import hashlib, json, os, sys
rep = json.load(open(sys.argv[1]))
sod = dict(l.split() for l in open(sys.argv[3]))
for d in rep['data_groups']:
    n = d['dg']
    assert sod[str(n)] == d['expected'], (n, 'expected')
    data = open(os.path.join(sys.argv[2], 'EF.DG%d' % n), 'rb').read()
    assert hashlib.sha256(data).hexdigest() == d['computed'], (n, 'computed')
    assert (d['result'] == 'passed') == (d['expected'] == d['computed']), n
assert len(rep['data_groups']) == len(sod)
PY
}

# ---- genuine ----------------------------------------------------------------------
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/genuine"
compare genuine "$T/genuine"
compare_hashes genuine "$T/genuine"
expect_eq "genuine: overall" "$(overall "$T/genuine.json")" passed
expect_status 0 "$PATOOL" verify "$CSCA" "$T/genuine" "$AT"
# the JSON report: the DS as openssl sees it
$PY - "$T/genuine.json" <<'PY' >"$T/ds-serial" || bad "genuine: report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['csca']['source'].endswith('utopia-csca.cert.pem'), r['csca']
assert r['sod']['signing_time'] == '2024-04-16T12:00:00Z'
print(r['ds']['serial'])
PY
openssl cms -cmsout -print -inform DER -in "$T/genuine.cms" >"$T/genuine.print"
if grep -qi "serialNumber: 0x$(cat "$T/ds-serial")\|serialNumber: $((16#$(cat "$T/ds-serial")))" \
     "$T/genuine.print"; then ok; else bad "the DS serial $(cat "$T/ds-serial") is not openssl's"; fi

# ---- a tampered DG: the SOD verifies, DG2's hash does not match ---------------------
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/tampered" --tamper 2
compare tampered "$T/tampered"
compare_hashes tampered "$T/tampered"
expect_eq "tampered: DG hashes" "$(step dg_hashes "$T/tampered.json")" failed
expect_eq "tampered: mismatching DGs (openssl + sha256sum)" "$(hashes_match "$T/tampered")" 2

# ---- the rogue DS: openssl's chain fails, the signature holds ---------------------
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/untrusted" --untrusted
compare untrusted "$T/untrusted"
expect_eq "untrusted: chain" "$(step chain "$T/untrusted.json")" failed
expect_eq "untrusted: signature" "$(step signature "$T/untrusted.json")" passed

# ---- the revoked DS: openssl -crl_check and our CRL step agree ----------------------
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/revoked"
expect_status 0 "$PATOOL" resign "$T/revoked" "$TRUST/utopia-ds-revoked.key.pem" \
  "$TRUST/utopia-ds-revoked.cert.pem"
compare revoked "$T/revoked"
CRL2=$TRUST/utopia-csca-revoked.crl.pem
"$PATOOL" verify "$CSCA:$CRL2" "$T/revoked" "$AT" >"$T/revoked-crl.json" 2>/dev/null
expect_eq "revoked: our CRL step" "$(step crl "$T/revoked-crl.json")" failed
cat "$CSCA" "$CRL2" >"$T/csca+crl2.pem" # openssl cms reads CRLs from -CAfile
expect_status 4 openssl cms -verify -inform DER -in "$T/revoked.cms" -CAfile "$T/csca+crl2.pem" \
  -purpose any -crl_check -binary -out /dev/null
expect_grep "$T/err" 'certificate revoked'
# the genuine DS under the same CRL: both say fine
"$PATOOL" verify "$CSCA:$CRL2" "$T/genuine" "$AT" >"$T/genuine-crl.json" 2>/dev/null
expect_eq "genuine under CRL 2: our CRL step" "$(step crl "$T/genuine-crl.json")" passed
expect_status 0 openssl cms -verify -inform DER -in "$T/genuine.cms" -CAfile "$T/csca+crl2.pem" \
  -purpose any -crl_check -binary -out /dev/null

# ---- one bit of the signature flipped ------------------------------------------------
mkdir -p "$T/badsig" && cp "$T"/genuine/EF.* "$T/badsig/"
$PY - "$T/badsig/EF.SOD" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read())
d[-20] ^= 0x01   # the SignerInfo's signature is the last element of the SOD
open(p, 'wb').write(d)
PY
compare badsig "$T/badsig"
expect_eq "badsig: signature" "$(step signature "$T/badsig.json")" failed

# ---- trust from the master list alone (a directory with utopia.ml only) ------------
mkdir -p "$T/ml" && cp "$TRUST/utopia.ml" "$T/ml/"
expect_status 0 "$PATOOL" verify "$T/ml" "$T/genuine" "$AT"
expect_status 0 openssl cms -verify -inform DER -in "$TRUST/utopia.ml" -CAfile "$CSCA" -purpose any \
  -out /dev/null
finish
