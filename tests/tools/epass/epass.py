#!/usr/bin/python3
"""An ICAO 9303 ePassport chip behind vsmartcard's virtual reader, for tests.

The card is vsmartcard's own vicc "ePass" emulator (Debian vsmartcard-vpicc):
its BAC (mutual authentication, session keys), 3DES and retail MAC are its
own.  Under Python 3 that package has defects; they are repaired here at
start-up, before the card runs:
  - TLV packing joins str and bytes (TLVutils.pack);
  - XOR over strings (CryptoUtils.operation_on_string);
  - secure messaging framing: DO87 with its padding-content indicator, DO97,
    DO8E over the padded header and data objects, and the protected answer
    DO87/DO99/DO8E (ICAO 9303 Part 11 §9.8);
  - the send sequence counter enters the MAC as 8 bytes;
  - a real chip answers READ BINARY without secure messaging with 6982.
Files served: EF.COM (DG1, DG2), EF.DG1 from the MRZ, EF.DG2 and EF.SOD from
files.  Environment:
  EPASS_MRZ    the 88-character TD3 MRZ (default: the ICAO Utopia specimen)
  EPASS_DG2    file holding the whole EF.DG2 (tag 75), optional
  EPASS_SOD    file holding the whole EF.SOD (tag 77), optional
  VPCD_PORT    the vpcd port (default 35963)
  EPASS_LOG    0 quiet, 1 info, 2 debug
Not emulated: PACE, Active and Chip Authentication (the project's simulated
chip in plugins/sim does those)."""
import logging
import os
import socket
import sys
import tempfile

VICC = '/usr/lib/python3/site-packages/virtualsmartcard'
sys.path.insert(0, VICC)  # the package lives in VICC/virtualsmartcard
# vsmartcard imports 'Crypto'; Debian's pycryptodome is 'Cryptodome'
shim = tempfile.mkdtemp(prefix='epass-')
os.symlink('/usr/lib/python3/dist-packages/Cryptodome', os.path.join(shim, 'Crypto'))
sys.path.insert(0, shim)

import virtualsmartcard.CryptoUtils as crypto  # noqa: E402
import virtualsmartcard.TLVutils as tlv  # noqa: E402
import virtualsmartcard.SEutils as seutils  # noqa: E402


def der_length(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return b'\x81' + bytes([n])
    return b'\x82' + n.to_bytes(2, 'big')


def pack(objects, recalculate_length=False):
    """BER-TLV of (tag, length, value) triples, values bytes or nested lists."""
    out = b''
    for obj in objects:
        tag, length, value = obj[0], obj[1], obj[2]
        if not isinstance(value, bytes):
            value = pack(value, recalculate_length)
        if recalculate_length:
            length = len(value)
        out += tag.to_bytes((tag.bit_length() + 7) // 8 or 1, 'big') + der_length(length) + value
    return out


tlv.pack = pack
tlv.bertlv_pack = pack
seutils.pack = pack
seutils.bertlv_pack = pack
crypto.operation_on_string = lambda a, b, op: bytes(op(x, y) for x, y in zip(a, b))

import virtualsmartcard.CardGenerator as cardgen  # noqa: E402
from virtualsmartcard.SmartcardFilesystem import MF, DF, TransparentStructureEF  # noqa: E402
from virtualsmartcard.cards.ePass import PassportSAM  # noqa: E402

SPECIMEN_MRZ = ('P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
                'L898902C36UTO7408122F1204159ZE184226B<<<<<10')


def read_env_file(name):
    path = os.environ.get(name)
    return open(path, 'rb').read() if path else b''


def generate_epass(self):
    mrz = os.environ.get('EPASS_MRZ', SPECIMEN_MRZ).encode()
    mf = MF()
    app = DF(parent=mf, fid=4, dfname=bytes.fromhex('A0000002471001'), bertlv_data=[])
    com = pack([(0x5F01, 4, b'0107'), (0x5F36, 6, b'040000'), (0x5C, 2, b'\x61\x75')])
    files = {
        0x011E: pack([(0x60, len(com), com)]),
        0x0101: pack([(0x61, 0, [(0x5F1F, len(mrz), mrz)])], True),
        0x0102: read_env_file('EPASS_DG2'),
        0x011D: read_env_file('EPASS_SOD'),
    }
    for fid, data in files.items():
        app.append(TransparentStructureEF(parent=app, fid=fid, filedescriptor=0, data=data))
    mf.append(app)
    self.mf, self.sam = mf, PassportSAM(mf)


cardgen.CardGenerator._CardGenerator__generate_ePass = generate_epass

from virtualsmartcard.SEutils import Security_Environment  # noqa: E402
from virtualsmartcard.SWutils import SwError, SW  # noqa: E402
from virtualsmartcard.utils import C_APDU, inttostring  # noqa: E402


def parse_sm_capdu(self, capdu, authenticate_header):
    """Unwrap a protected command: DO87 (data), DO97 (Le), DO8E (MAC)."""
    header = bytes([capdu.cla, capdu.ins, capdu.p1, capdu.p2])
    mac_input = crypto.append_padding(8, header) if authenticate_header else b''
    data, le = b'', None
    for tag, length, value in tlv.unpack(capdu.data):
        if tag % 2 == 1:
            mac_input += pack([(tag, length, value)])
        if tag == 0x87:
            data = crypto.strip_padding(8, self.decipher(tag, 0x80, value[1:]))
        elif tag == 0x97:
            le = int.from_bytes(value, 'big') or 256
        elif tag == 0x8E:
            mac = self.compute_cryptographic_checksum(0x8E, 0x80, crypto.append_padding(8, mac_input))
            if mac != value:
                raise SwError(SW['ERR_SECMESSOBJECTSINCORRECT'])
    return C_APDU(cla=capdu.cla & 0xF3, ins=capdu.ins, p1=capdu.p1, p2=capdu.p2, le=le, data=data)


def protect_response(self, sw, result):
    out = b''
    if result:
        out += pack([(0x87, 0, b'\x01' + self.encipher(0x82, 0x80, result))], True)
    out += pack([(0x99, 2, inttostring(sw, 2))])
    mac = self.compute_cryptographic_checksum(0x8E, 0x80, crypto.append_padding(8, out))
    return sw, out + pack([(0x8E, 8, mac)])


Security_Environment.parse_SM_CAPDU = parse_sm_capdu
Security_Environment.protect_response = protect_response
checksum = crypto.crypto_checksum


def crypto_checksum(algo, key, data, iv=None, ssc=None):
    if algo == 'CC' and ssc is not None:  # the SSC is 8 bytes of the MAC input
        return checksum(algo, key, ssc.to_bytes(8, 'big') + data, iv, None)
    return checksum(algo, key, data, iv, ssc)


crypto.crypto_checksum = crypto_checksum

from virtualsmartcard.VirtualSmartcard import VirtualICC, Iso7816OS  # noqa: E402

execute = Iso7816OS.execute


def execute_enforcing_bac(self, msg):
    # READ BINARY in plain (no secure messaging bits in CLA): not before BAC
    if len(msg) >= 2 and msg[1] in (0xB0, 0xB1) and (msg[0] & 0x0C) == 0:
        return b'\x69\x82'
    return execute(self, msg)


Iso7816OS.execute = execute_enforcing_bac

level = {0: logging.CRITICAL, 1: logging.INFO}.get(int(os.environ.get('EPASS_LOG', '0')), logging.DEBUG)
vicc = VirtualICC(None, 'ePass', 'localhost', int(os.environ.get('VPCD_PORT', '35963')),
                  logginglevel=level)
# vpcd sends the length and the APDU in two writes: without these, Nagle and
# delayed ACKs cost about 40 ms per APDU
vicc.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class QuickAck:
    def __init__(self, sock):
        self.sock = sock

    def __getattr__(self, name):
        return getattr(self.sock, name)

    def recv(self, n):
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return self.sock.recv(n)


vicc.sock = QuickAck(vicc.sock)
vicc.run()
