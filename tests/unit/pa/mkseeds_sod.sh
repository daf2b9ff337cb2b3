#!/bin/sh
# Write the seed corpus of the SOD fuzz target (tests/fuzz/corpus/sod/seed-*)
# from synthetic Utopia chips; deterministic (the chips are).  Byte 0 of each
# seed picks the parser (see tests/fuzz/fuzz_sod.c).
#   tests/unit/pa/mkseeds_sod.sh BUILD_DIR      (from the source tree's top)
set -eu
B=${1:?usage: mkseeds_sod.sh BUILD_DIR}
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
TRUST=$SRC/share/trust/test
OUT=$SRC/tests/fuzz/corpus/sod
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MK=$B/tests/bin/synth-chip-mkchip
"$MK" --trust "$TRUST" --out "$T/g"
"$MK" --trust "$TRUST" --out "$T/u" --untrusted
"$MK" --trust "$TRUST" --out "$T/t" --tamper 1
"$MK" --trust "$TRUST" --out "$T/r"
"$B/tests/bin/pa-tool" resign "$T/r" "$TRUST/utopia-ds-revoked.key.pem" \
  "$TRUST/utopia-ds-revoked.cert.pem"
mkdir -p "$OUT"
rm -f "$OUT"/seed-*
python3 - "$T" "$TRUST" "$OUT" <<'PY'
import base64, hashlib, os, subprocess, sys
T, TRUST, OUT = sys.argv[1:4]
rd = lambda *p: open(os.path.join(*p), 'rb').read()
def put(name, sel, data):
    open(os.path.join(OUT, 'seed-' + name), 'wb').write(bytes([sel]) + data)
def tlv(tag, v):
    n = len(v)
    if n < 128: l = bytes([n])
    elif n < 256: l = bytes([0x81, n])
    else: l = bytes([0x82, n >> 8, n & 255])
    return bytes([tag]) + l + v
def cms_of(sod):           # the value of the 77
    i = 1; n = sod[i]; i += 1
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(sod[i:i + k], 'big'); i += k
    return sod[i:i + n]
def lso_of(sod):
    p = os.path.join(T, 'x.cms'); open(p, 'wb').write(cms_of(sod))
    return subprocess.run(['openssl', 'cms', '-verify', '-noverify', '-inform', 'DER', '-in', p,
                           '-binary'], capture_output=True, check=True).stdout
def verify_input(chip, sod):
    d = bytes([3])
    for n in (1, 11, 12):
        b = rd(T, chip, 'EF.DG%d' % n); d += bytes([n, len(b) >> 8, len(b) & 255]) + b
    return d + sod
g = rd(T, 'g', 'EF.SOD')
put('sod-genuine', 0, g)
put('sod-untrusted', 0, rd(T, 'u', 'EF.SOD'))
put('sod-truncated', 0, g[:len(g) // 2])
put('sod-trailing', 0, g + b'\x00')
lso = lso_of(g)
put('lso-genuine', 1, lso)
oid = {'sha1': bytes.fromhex('2b0e03021a'), 'sha512': bytes.fromhex('608648016503040203')}
def mklso(ver, alg, n, info):
    body = tlv(2, bytes([ver])) + tlv(0x30, tlv(6, oid[alg]) + b'\x05\x00')
    hl = hashlib.new(alg).digest_size
    body += tlv(0x30, b''.join(tlv(0x30, tlv(2, bytes([i + 1])) + tlv(4, bytes([i]) * hl)) for i in range(n)))
    if info: body += tlv(0x30, tlv(0x13, b'0108') + tlv(0x13, b'040000'))
    return tlv(0x30, body)
put('lso-v1-sha1', 1, mklso(1, 'sha1', 3, True))
put('lso-sha512', 1, mklso(0, 'sha512', 16, False))
put('lso-bad-version', 1, mklso(1, 'sha1', 2, False))
put('verify-genuine', 2, verify_input('g', g))
put('verify-tampered', 2, verify_input('t', rd(T, 't', 'EF.SOD')))
put('verify-revoked', 2, verify_input('r', rd(T, 'r', 'EF.SOD')))
ml = rd(TRUST, 'utopia.ml')
put('trust-ml', 3, ml)
put('trust-ml-pem', 3, b'-----BEGIN CMS-----\n' + base64.encodebytes(ml) + b'-----END CMS-----\n')
put('trust-csca-pem', 3, rd(TRUST, 'rogue', 'rogue-csca.cert.pem'))
put('trust-ds-pem', 3, rd(TRUST, 'utopia-ds.cert.pem'))
put('trust-crl-pem', 3, rd(TRUST, 'utopia-csca-revoked.crl.pem'))
crl = subprocess.run(['openssl', 'crl', '-in', os.path.join(TRUST, 'utopia-csca.crl.pem'),
                      '-outform', 'DER'], capture_output=True, check=True).stdout
put('trust-crl-der', 3, crl)
put('trust-sod-cms', 3, cms_of(g))
PY
ls -l "$OUT" | tail -n +2 | wc -l
