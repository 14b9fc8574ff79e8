"""SNMPv3 messages on the BER codec (RFC 3412 message, RFC 3414 USM parameters).

The header and security parameters are read without decoding the scoped PDU (:func:`decode_v3`:
no OID is decoded, so a message is judged and authenticated before anything in it costs memory);
the scoped PDU, once authenticated and decrypted, is decoded by :func:`decode_scoped_pdu`. Malformed
input raises :class:`adapters.snmp.ber.BerError`, as everywhere in the codec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from adapters.snmp.ber import (
    PDU_GET,
    PDU_REPORT,
    PDU_TRAP_V1,
    TAG_INTEGER,
    TAG_OCTET_STRING,
    TAG_SEQUENCE,
    VERSION_V3,
    BerError,
    VarBind,
    _expect,
    _header,
    _int,
    _outer,
    _pdu_body,
)

FLAG_AUTH: Final = 0x01
FLAG_PRIV: Final = 0x02
FLAG_REPORTABLE: Final = 0x04
SECURITY_MODEL_USM: Final = 3


@dataclass(frozen=True, slots=True)
class V3Message:
    """An SNMPv3 message with USM security parameters, its scoped PDU still as bytes.

    ``auth_start``/``auth_stop`` locate msgAuthenticationParameters in the whole message (the digest
    is computed over the message with those bytes zeroed). ``scoped`` is the encrypted scoped PDU
    when ``flags`` has :data:`FLAG_PRIV`, else the plaintext scoped PDU's TLV.
    """

    msg_id: int
    max_size: int
    flags: int
    security_model: int
    engine_id: bytes
    engine_boots: int
    engine_time: int
    user: bytes
    auth_start: int
    auth_stop: int
    priv_params: bytes
    scoped: bytes


@dataclass(frozen=True, slots=True)
class ScopedPdu:
    context_engine_id: bytes
    context_name: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[VarBind, ...]


def decode_v3(data: bytes) -> V3Message:
    """Decode an SNMPv3 message's header and USM parameters; raises :class:`BerError` if malformed."""
    version, vstop, stop = _outer(data)
    if version != VERSION_V3:
        raise BerError("not an SNMPv3 message")
    gstart, gstop = _expect(data, vstop, stop, TAG_SEQUENCE, "msgGlobalData")
    numbers = []
    pos = gstart
    for what in ("msgID", "msgMaxSize"):
        istart, istop = _expect(data, pos, gstop, TAG_INTEGER, what)
        numbers.append(_int(data, istart, istop))
        pos = istop
    fstart, fstop = _expect(data, pos, gstop, TAG_OCTET_STRING, "msgFlags")
    if fstop - fstart != 1:
        raise BerError(f"msgFlags of {fstop - fstart} bytes at offset {fstart}")
    mstart, mstop = _expect(data, fstop, gstop, TAG_INTEGER, "msgSecurityModel")
    sstart, sstop = _expect(data, gstop, stop, TAG_OCTET_STRING, "msgSecurityParameters")
    ustart, ustop = _expect(data, sstart, sstop, TAG_SEQUENCE, "UsmSecurityParameters")
    estart, estop = _expect(data, ustart, ustop, TAG_OCTET_STRING, "msgAuthoritativeEngineID")
    bstart, bstop = _expect(data, estop, ustop, TAG_INTEGER, "msgAuthoritativeEngineBoots")
    tstart, tstop = _expect(data, bstop, ustop, TAG_INTEGER, "msgAuthoritativeEngineTime")
    nstart, nstop = _expect(data, tstop, ustop, TAG_OCTET_STRING, "msgUserName")
    astart, astop = _expect(data, nstop, ustop, TAG_OCTET_STRING, "msgAuthenticationParameters")
    pstart, pstop = _expect(data, astop, ustop, TAG_OCTET_STRING, "msgPrivacyParameters")
    flags = data[fstart]
    tag, dstart, dstop = _header(data, sstop, stop)
    if flags & FLAG_PRIV:
        if tag != TAG_OCTET_STRING:
            raise BerError(f"expected encryptedPDU (0x04) at offset {sstop}, found 0x{tag:02x}")
        scoped = data[dstart:dstop]
    else:
        if tag != TAG_SEQUENCE:
            raise BerError(f"expected plaintext scopedPDU (0x30) at offset {sstop}, found 0x{tag:02x}")
        scoped = data[sstop:dstop]
    return V3Message(
        numbers[0], numbers[1], flags, _int(data, mstart, mstop), data[estart:estop],
        _int(data, bstart, bstop), _int(data, tstart, tstop), data[nstart:nstop], astart, astop,
        data[pstart:pstop], scoped,
    )


def decode_scoped_pdu(data: bytes) -> ScopedPdu:
    """Decode a (decrypted) scoped PDU. Bytes after it are ignored: a cipher may pad."""
    start, stop = _expect(data, 0, len(data), TAG_SEQUENCE, "scopedPDU")
    cstart, cstop = _expect(data, start, stop, TAG_OCTET_STRING, "contextEngineID")
    nstart, nstop = _expect(data, cstop, stop, TAG_OCTET_STRING, "contextName")
    pdu_type, pstart, pstop = _header(data, nstop, stop)
    if not PDU_GET <= pdu_type <= PDU_REPORT or pdu_type == PDU_TRAP_V1:
        raise BerError(f"unknown PDU type 0x{pdu_type:02x} in a scoped PDU")
    return ScopedPdu(data[cstart:cstop], data[nstart:nstop], pdu_type, *_pdu_body(data, pstart, pstop))
