# The synthetic chip and the test PKI, checked with the openssl command line
# tool (an implementation independent of ours): the SOD's CMS against the CSCA
# and its hashes against sha256sum, the master list, the DS chain, the CRLs,
# each file's ASN.1, the defects, determinism.
#   chip_openssl.sh MKCHIP
. "$(dirname "$0")/../../integration/capture/lib.sh"
MKCHIP=${1:?usage: chip_openssl.sh MKCHIP}
TRUST=$SRC/share/trust/test
CSCA=$TRUST/utopia-csca.cert.pem
ROGUE=$TRUST/rogue/rogue-csca.cert.pem
command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }

. "$SRC/tests/common/chip_lib.sh"

# ---- the fixture's MRZ is a valid TD3 ------------------------------------------
L1='P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
L2='L898902C36UTO7408122F3404159ZE184226B<<<<<16'
expect_status 0 "$DOCEX" mrz parse "$L1" "$L2"
expect_grep "$T/out" '^valid: +yes'

# ---- the test PKI ------------------------------------------------------------------
expect_status 0 openssl verify -CAfile "$CSCA" "$TRUST/utopia-ds.cert.pem" "$TRUST/utopia-mls.cert.pem"
expect_status 2 openssl verify -CAfile "$CSCA" "$TRUST/rogue/rogue-ds.cert.pem"
expect_status 0 openssl verify -CAfile "$ROGUE" "$TRUST/rogue/rogue-ds.cert.pem"
openssl x509 -in "$TRUST/utopia-ds.cert.pem" -noout -text >"$T/ds.txt"
expect_grep "$T/ds.txt" 'Subject: C ?= ?UT, O ?= ?Government of Utopia'
expect_grep "$T/ds.txt" 'Digital Signature$'
expect_grep "$T/ds.txt" 'Private Key Usage Period'
expect_grep "$T/ds.txt" '2\.23\.136\.1\.1\.6\.2'
openssl x509 -in "$CSCA" -noout -text >"$T/csca.txt"
expect_grep "$T/csca.txt" 'CA:TRUE, pathlen:0'
expect_grep "$T/csca.txt" 'Certificate Sign, CRL Sign'
# CRLs: signed by the CSCA; the second revokes the second DS and nothing else
expect_status 0 openssl crl -in "$TRUST/utopia-csca.crl.pem" -CAfile "$CSCA" -noout
expect_grep "$T/err" 'verify OK'
expect_status 0 openssl crl -in "$TRUST/utopia-csca-revoked.crl.pem" -CAfile "$CSCA" -noout
expect_grep "$T/err" 'verify OK'
expect_status 0 openssl verify -crl_check -CAfile "$CSCA" -CRLfile "$TRUST/utopia-csca-revoked.crl.pem" \
  "$TRUST/utopia-ds.cert.pem"
expect_status 2 openssl verify -crl_check -CAfile "$CSCA" -CRLfile "$TRUST/utopia-csca-revoked.crl.pem" \
  "$TRUST/utopia-ds-revoked.cert.pem"
expect_grep "$T/err" 'certificate revoked'
expect_status 0 openssl verify -crl_check -CAfile "$CSCA" -CRLfile "$TRUST/utopia-csca.crl.pem" \
  "$TRUST/utopia-ds-revoked.cert.pem"
# the master list: CMS signed by the MLS, eContentType id-icao-cscaMasterList,
# CscaMasterList { 0, { the CSCA } }
expect_status 0 openssl cms -verify -inform DER -in "$TRUST/utopia.ml" -CAfile "$CSCA" \
  -purpose any -out "$T/ml.der"
openssl cms -cmsout -print -inform DER -in "$TRUST/utopia.ml" >"$T/ml.txt"
expect_grep "$T/ml.txt" 'eContentType: .*2\.23\.136\.1\.1\.2'
$PY - "$T/ml.der" <<'PY' >"$T/ml-cert.der" && ok || bad "master list content"
import sys
d = open(sys.argv[1], 'rb').read()
def tlv(b, i):
    t = b[i]; n = b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7F; n = int.from_bytes(b[i:i + k], 'big'); i += k
    return t, b[i:i + n], i + n
t, seq, end = tlv(d, 0)
assert t == 0x30 and end == len(d)
t, v, i = tlv(seq, 0)
assert (t, v) == (0x02, b'\x00'), 'version 0'
t, s, j = tlv(seq, i)
assert t == 0x31 and j == len(seq)
t, cert, k = tlv(s, 0)
assert t == 0x30 and k == len(s), 'one certificate'
sys.stdout.buffer.write(s)
PY
openssl x509 -in "$CSCA" -outform DER -out "$T/csca.der"
if cmp -s "$T/ml-cert.der" "$T/csca.der"; then ok; else bad "the master list does not hold the CSCA"; fi
# every key file says TEST ONLY
for k in "$TRUST"/*.key.pem "$TRUST"/rogue/*.key.pem "$TRUST"/pool/*.key.pem; do
  if head -n 1 "$k" | grep -q '^TEST ONLY'; then ok; else bad "$k lacks the TEST ONLY line"; fi
done
expect_grep "$TRUST/README.md" 'TEST ONLY'
[ "$(ls "$TRUST"/pool/aa-rsa-*.key.pem "$TRUST"/pool/aa-ecdsa-*.key.pem "$TRUST"/pool/ca-ecdh-*.key.pem | wc -l)" -ge 6 ] \
  && ok || bad "key pool too small"

# ---- the chip ----------------------------------------------------------------------
C=$T/chip
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$C"
strip_tlv "$C/EF.SOD" "$T/sod.cms"
expect_status 0 openssl cms -verify -inform DER -in "$T/sod.cms" -CAfile "$CSCA" -purpose any \
  -binary -out "$T/lso.der"
expect_grep "$T/err" 'Verification successful'
openssl cms -cmsout -print -inform DER -in "$T/sod.cms" >"$T/sod.txt"
expect_grep "$T/sod.txt" 'eContentType: .*2\.23\.136\.1\.1\.1'
expect_grep "$T/sod.txt" 'UTCTIME:Apr 16 12:00:00 2024 GMT'
expect_no_grep "$T/sod.txt" 'SMIMECapabilities|S/MIME Capabilities'
sod_hashes "$T/lso.der" >"$T/hashes.txt"
[ "$(wc -l <"$T/hashes.txt")" = 6 ] && ok || bad "the SOD has $(wc -l <"$T/hashes.txt") hashes, 6 expected"
for dg in 1 2 11 12 14 15; do
  want=$(sha256sum "$C/EF.DG$dg" | cut -d' ' -f1)
  expect_grep "$T/hashes.txt" "^$dg $want\$"
done
# each file's ASN.1: one object, the right tag, nothing after it
for f in EF.COM:'appl \[ 0 \]' EF.DG1:'appl \[ 1 \]' EF.DG2:'appl \[ 21 \]' EF.DG11:'appl \[ 11 \]' \
         EF.DG12:'appl \[ 12 \]' EF.DG14:'appl \[ 14 \]' EF.DG15:'appl \[ 15 \]' \
         EF.SOD:'appl \[ 23 \]' EF.CardAccess:'SET'; do
  name=${f%%:*} tag=${f#*:}
  if openssl asn1parse -inform DER -in "$C/$name" >"$T/asn1.txt" 2>&1; then ok; else bad "$name: not ASN.1"; fi
  head -n 1 "$T/asn1.txt" | grep -qE "^ +0:d=0 .* cons: $tag" && ok || bad "$name: $(head -n 1 "$T/asn1.txt")"
  len=$(head -n 1 "$T/asn1.txt" | sed -E 's/.*hl=([0-9]+) +l= *([0-9]+).*/\1 \2/')
  [ "$(( ${len% *} + ${len#* } ))" = "$(wc -c <"$C/$name")" ] && ok || bad "$name: length"
done
if grep -aq "$L1$L2" "$C/EF.DG1"; then ok; else bad "DG1 does not hold the MRZ"; fi
openssl asn1parse -inform DER -in "$C/EF.DG14" >"$T/dg14.txt"
expect_grep "$T/dg14.txt" 'OBJECT +:0\.4\.0\.127\.0\.7\.2\.2\.3\.2\.2'
expect_grep "$T/dg14.txt" 'OBJECT +:id-ecPublicKey'
expect_grep "$T/dg14.txt" 'OBJECT +:brainpoolP256r1'
# DG15 holds the public half of aa_private.pem; DG14 that of ca_private.pem
strip_tlv "$C/EF.DG15" "$T/dg15.spki"
openssl pkey -pubin -inform DER -in "$T/dg15.spki" -outform PEM -out "$T/dg15.pub"
openssl pkey -in "$C/aa_private.pem" -pubout -out "$T/aa.pub"
if cmp -s "$T/dg15.pub" "$T/aa.pub"; then ok; else bad "DG15 is not the public AA key"; fi
expect_grep "$T/dg15.pub" 'BEGIN PUBLIC KEY'
# chip.json against the files
$PY - "$C" <<'PY' && ok || bad "chip.json"
import hashlib, json, os, sys
d = sys.argv[1]
j = json.load(open(os.path.join(d, 'chip.json')))
assert j['format'] == 'docex.chip/1' and 'TEST ONLY' in j['note']
assert j['mrz'] == ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F3404159ZE184226B<<<<<16']
assert j['can'] == '123456' and j['bac'] is True and j['extended_length'] is True
assert j['pace'] == [{'oid': '0.4.0.127.0.7.2.2.4.2.2', 'parameter_id': 13}]
assert j['aa'] == {'algorithm': 'rsa', 'private_key': 'aa_private.pem'}
assert j['ca'] == {'oid': '0.4.0.127.0.7.2.2.3.2.2', 'private_key': 'ca_private.pem', 'key_id': None}
names = [f['name'] for f in j['files']]
assert names == ['EF.COM', 'EF.DG1', 'EF.DG2', 'EF.DG11', 'EF.DG12', 'EF.DG14', 'EF.DG15', 'EF.SOD', 'EF.CardAccess'], names
assert j['files'][-1] == {'name': 'EF.CardAccess', 'fid': '011C', 'sfi': 28, 'outside_application': True}
for n in names:
    assert j['sha256'][n] == hashlib.sha256(open(os.path.join(d, n), 'rb').read()).hexdigest(), n
PY

# ---- determinism ----------------------------------------------------------------------
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/again"
if diff -r "$C" "$T/again" >/dev/null; then ok; else bad "two builds differ"; fi
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/jp2a" --jpeg2000 --aa ecdsa --seed 3
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/jp2b" --jpeg2000 --aa ecdsa --seed 3
if diff -r "$T/jp2a" "$T/jp2b" >/dev/null; then ok; else bad "two JPEG 2000 builds differ"; fi

# ---- defects ----------------------------------------------------------------------------
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/tampered" --tamper 2
[ "$(hashes_match "$T/tampered")" = 2 ] && ok || bad "tampered DG2: mismatches '$(hashes_match "$T/tampered")'"
[ -z "$(hashes_match "$C")" ] && ok || bad "the genuine chip has mismatches"
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/untrusted" --untrusted
strip_tlv "$T/untrusted/EF.SOD" "$T/u.cms"
expect_status 4 openssl cms -verify -inform DER -in "$T/u.cms" -CAfile "$CSCA" -purpose any -out /dev/null
expect_status 0 openssl cms -verify -inform DER -in "$T/u.cms" -CAfile "$ROGUE" -purpose any -out /dev/null
[ -z "$(hashes_match "$T/untrusted")" ] && ok || bad "untrusted DS: hash mismatches"
expect_status 0 "$MKCHIP" --trust "$TRUST" --out "$T/clone" --clone
strip_tlv "$T/clone/EF.DG15" "$T/c15.spki"
openssl pkey -pubin -inform DER -in "$T/c15.spki" -out "$T/c15.pub"
openssl pkey -in "$T/clone/aa_private.pem" -pubout -out "$T/caa.pub"
if cmp -s "$T/c15.pub" "$T/caa.pub"; then bad "clone: DG15 matches the chip's key"; else ok; fi
if cmp -s "$T/c15.pub" "$T/dg15.pub"; then ok; else bad "clone: DG15 is not the genuine one"; fi
finish
