"""A small, strict BER codec for SNMP v1/v2c messages: the polling and trap fast path.

pyasn1 (under pysnmp) spends about 45 % of a poll decoding; SNMP needs only a handful of BER
types, so this module encodes and decodes them directly. It is pure (bytes in, tuples out), so it
is tested without a network, cross-checked against pysnmp's own encoder, and fuzzed: any malformed
input raises :class:`BerError` (never IndexError or a hang), which the receiver counts and drops.
OIDs are held to SMI's bounds (128 arcs of 32 bits): an absurd one is malformed, not a huge integer.

A varbind is ``(oid, tag, value)``: ``oid`` a tuple of ints, ``tag`` the BER tag (see ``TAG_*``),
``value`` an int (INTEGER, Counter32/64, Gauge32, TimeTicks), bytes (OCTET STRING, IpAddress,
Opaque), an OID tuple, or None (NULL and the v2 exceptions noSuchObject/noSuchInstance/endOfMibView).
SNMPv3 messages are recognised (:func:`peek_version`); their header and scoped PDU are decoded by
:mod:`adapters.snmp.v3msg` with this module's readers.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Final

Oid = tuple[int, ...]
Value = int | bytes | Oid | None
VarBind = tuple[Oid, int, Value]

TAG_INTEGER: Final = 0x02
TAG_OCTET_STRING: Final = 0x04
TAG_NULL: Final = 0x05
TAG_OID: Final = 0x06
TAG_SEQUENCE: Final = 0x30
TAG_IPADDRESS: Final = 0x40
TAG_COUNTER32: Final = 0x41
TAG_GAUGE32: Final = 0x42
TAG_TIMETICKS: Final = 0x43
TAG_OPAQUE: Final = 0x44
TAG_COUNTER64: Final = 0x46
TAG_NO_SUCH_OBJECT: Final = 0x80
TAG_NO_SUCH_INSTANCE: Final = 0x81
TAG_END_OF_MIB_VIEW: Final = 0x82

PDU_GET: Final = 0xA0
PDU_GETNEXT: Final = 0xA1
PDU_RESPONSE: Final = 0xA2
PDU_SET: Final = 0xA3
PDU_TRAP_V1: Final = 0xA4
PDU_GETBULK: Final = 0xA5
PDU_INFORM: Final = 0xA6
PDU_TRAP_V2: Final = 0xA7
PDU_REPORT: Final = 0xA8

VERSION_V1: Final = 0
VERSION_V2C: Final = 1
VERSION_V3: Final = 3

EXCEPTION_TAGS: Final = frozenset({TAG_NO_SUCH_OBJECT, TAG_NO_SUCH_INSTANCE, TAG_END_OF_MIB_VIEW})
_UNSIGNED_TAGS: Final = frozenset({TAG_COUNTER32, TAG_GAUGE32, TAG_TIMETICKS, TAG_COUNTER64})
_BYTES_TAGS: Final = frozenset({TAG_OCTET_STRING, TAG_IPADDRESS, TAG_OPAQUE})
_NULL_TAGS: Final = frozenset({TAG_NULL}) | EXCEPTION_TAGS


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message; the message says what and at which offset."""


class UnknownCommunityError(Exception):
    """A v1/v2c message with a community not accepted (the community itself is never in the text)."""


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded SNMP v1/v2c message. For GETBULK, error_status/error_index carry
    non-repeaters/max-repetitions, as on the wire. ``trap_v1`` holds the v1 trap header."""

    version: int
    community: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[VarBind, ...]
    trap_v1: TrapV1Header | None = None


@dataclass(frozen=True, slots=True)
class TrapV1Header:
    enterprise: Oid
    agent_address: bytes
    generic_trap: int
    specific_trap: int
    timestamp: int


# ---------------------------------------------------------------- encoding


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    """One BER tag-length-value (for building messages the encoders below do not make)."""
    return bytes((tag,)) + _length(len(content)) + content


def encode_integer(value: int, tag: int = TAG_INTEGER) -> bytes:
    if tag in _UNSIGNED_TAGS:
        if value < 0:
            raise BerError(f"unsigned value {value} is negative")
        body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    else:
        body = value.to_bytes(max(1, (value + (value < 0)).bit_length() // 8 + 1), "big", signed=True)
    return tlv(tag, body)


def encode_oid(oid: Oid) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise BerError(f"invalid OID {'.'.join(map(str, oid))}")
    arcs = [oid[0] * 40 + oid[1], *oid[2:]]
    out = bytearray()
    for arc in arcs:
        if arc < 0:
            raise BerError("negative OID arc")
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return tlv(TAG_OID, bytes(out))


def encode_value(tag: int, value: Value) -> bytes:
    if tag in _NULL_TAGS:
        return bytes((tag, 0))
    if tag == TAG_OID:
        assert isinstance(value, tuple)
        return encode_oid(value)
    if tag in _BYTES_TAGS:
        assert isinstance(value, bytes)
        return tlv(tag, value)
    if tag == TAG_INTEGER or tag in _UNSIGNED_TAGS:
        assert isinstance(value, int)
        return encode_integer(value, tag)
    raise BerError(f"cannot encode tag 0x{tag:02x}")


def encode_message(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    varbinds: Sequence[VarBind],
    error_status: int = 0,
    error_index: int = 0,
) -> bytes:
    """Encode a v1/v2c message (for GETBULK pass non-repeaters and max-repetitions as error fields)."""
    vbs = b"".join(tlv(TAG_SEQUENCE, encode_oid(oid) + encode_value(tag, value)) for oid, tag, value in varbinds)
    pdu = tlv(
        pdu_type,
        encode_integer(request_id)
        + encode_integer(error_status)
        + encode_integer(error_index)
        + tlv(TAG_SEQUENCE, vbs),
    )
    return tlv(TAG_SEQUENCE, encode_integer(version) + tlv(TAG_OCTET_STRING, community) + pdu)


# ---------------------------------------------------------------- decoding


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``."""
    if pos + 2 > end:
        raise BerError(f"truncated TLV at offset {pos}")
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise BerError(f"unsupported length form 0x{first:02x} at offset {pos - 1}")
        if pos + count > end:
            raise BerError(f"truncated length at offset {pos}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise BerError(f"length {length} at offset {pos} runs past the end ({end})")
    return tag, pos, pos + length


def _int(data: bytes, start: int, stop: int, signed: bool = True) -> int:
    if start == stop:
        raise BerError(f"empty integer at offset {start}")
    if stop - start > 9:
        raise BerError(f"integer of {stop - start} bytes at offset {start}")
    return int.from_bytes(data[start:stop], "big", signed=signed)


# SMI's bounds on an OID (RFC 2578 3.5, as net-snmp's MAX_OID_LEN and MAX_SUBID): at most 128
# sub-identifiers, each at most 2^32-1. One arc is then at most 5 bytes on the wire and a whole OID
# (127 encoded sub-identifiers: the first two arcs share one) at most 635, so a hostile OID is refused
# before it costs more than that: a 64 KB arc would otherwise be a 450,000-bit integer whose decimal
# form Python refuses to print (its 4,300-digit limit), and would take quadratic time to build.
MAX_OID_ARCS: Final = 128
MAX_ARC: Final = 2**32 - 1
MAX_OID_BYTES: Final = (MAX_OID_ARCS - 1) * 5

# Decoded OIDs by their encoding: a poll sees the same interface-table OIDs on every device, so
# most decodes are dictionary hits. Bounded by the bytes the entries hold (an upper estimate: the
# key, the tuple, an int object per arc and the dictionary's slot), and cleared when full. Only
# OIDs of messages past their community check reach it (see ``decode_message``).
OID_CACHE_BYTES: Final = 32 * 1024 * 1024
_ENTRY_OVERHEAD: Final = 200  # bytes and tuple object headers, the dictionary's slot (and its spare room)
_ARC_COST: Final = 40  # the tuple's pointer and an int object (small ints are shared: an overestimate)
_OID_CACHE: dict[bytes, Oid] = {}
_oid_cache_bytes = 0


def oid_cache_bytes() -> int:
    """The decode cache's size, by the estimate it is bounded with."""
    return _oid_cache_bytes


def clear_oid_cache() -> None:
    global _oid_cache_bytes
    _OID_CACHE.clear()
    _oid_cache_bytes = 0


def valid_oid(oid: Oid) -> bool:
    """Whether ``oid`` is within SMI's bounds (for OIDs decoded elsewhere, e.g. by pysnmp)."""
    return 2 <= len(oid) <= MAX_OID_ARCS and all(0 <= arc <= MAX_ARC for arc in oid)


def _oid(data: bytes, start: int, stop: int) -> Oid:
    global _oid_cache_bytes
    raw = data[start:stop]
    cached = _OID_CACHE.get(raw)
    if cached is not None:
        return cached
    if not raw:
        raise BerError(f"empty OID at offset {start}")
    if len(raw) > MAX_OID_BYTES:
        raise BerError(f"OID of {len(raw)} bytes at offset {start} (SMI allows {MAX_OID_ARCS} arcs of 32 bits)")
    arcs: list[int] = []
    value = 0
    pending = False
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if byte & 0x80:
            pending = True
            continue
        arcs.append(value)
        value = 0
        pending = False
    if pending:
        raise BerError(f"OID ends inside an arc at offset {stop}")
    if len(arcs) >= MAX_OID_ARCS or max(arcs) > MAX_ARC:
        raise BerError(f"OID at offset {start} beyond SMI's bounds ({MAX_OID_ARCS} arcs of at most 2^32-1)")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    oid = (*head, *arcs[1:])
    cost = _ENTRY_OVERHEAD + len(raw) + _ARC_COST * len(oid)
    if _oid_cache_bytes + cost > OID_CACHE_BYTES:
        _OID_CACHE.clear()
        _oid_cache_bytes = 0
    _OID_CACHE[raw] = oid
    _oid_cache_bytes += cost
    return oid


def _value(data: bytes, tag: int, start: int, stop: int) -> Value:
    if tag == TAG_INTEGER:
        return _int(data, start, stop)
    if tag in _UNSIGNED_TAGS:
        return _int(data, start, stop, signed=False)
    if tag in _BYTES_TAGS:
        return data[start:stop]
    if tag == TAG_OID:
        return _oid(data, start, stop)
    if tag in _NULL_TAGS:
        return None
    raise BerError(f"unknown value tag 0x{tag:02x} at offset {start}")


def _expect(data: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    found, start, stop = _header(data, pos, end)
    if found != tag:
        raise BerError(f"expected {what} (0x{tag:02x}) at offset {pos}, found 0x{found:02x}")
    return start, stop


def _varbinds(data: bytes, pos: int, end: int) -> tuple[VarBind, ...]:
    try:
        return _varbinds_short(data, pos, end)
    except _LongFormError:
        return _varbinds_general(data, pos, end)
    except IndexError:
        raise BerError(f"truncated varbind list at offset {pos}") from None


class _LongFormError(Exception):
    """A length in long form: the general parser takes over."""


def _varbinds_short(data: bytes, pos: int, end: int) -> tuple[VarBind, ...]:
    """The common case inlined (every length in short form, under 128 bytes): polls are made of these."""
    out: list[VarBind] = []
    append = out.append
    while pos < end:
        length = data[pos + 1]
        if data[pos] != TAG_SEQUENCE or length >= 0x80:
            raise _LongFormError
        stop = pos + 2 + length
        if stop > end or data[pos + 2] != TAG_OID or data[pos + 3] >= 0x80:
            raise _LongFormError
        ostart = pos + 4
        ostop = ostart + data[pos + 3]
        tag = data[ostop]
        vlength = data[ostop + 1]
        if vlength >= 0x80 or ostop + 2 + vlength != stop:
            raise _LongFormError
        append((_oid(data, ostart, ostop), tag, _value(data, tag, ostop + 2, stop)))
        pos = stop
    if pos != end:
        raise BerError(f"varbind list overruns its length at offset {end}")
    return tuple(out)


def _varbinds_general(data: bytes, pos: int, end: int) -> tuple[VarBind, ...]:
    out: list[VarBind] = []
    while pos < end:
        start, stop = _expect(data, pos, end, TAG_SEQUENCE, "varbind")
        ostart, ostop = _expect(data, start, stop, TAG_OID, "varbind name")
        tag, vstart, vstop = _header(data, ostop, stop)
        if vstop != stop:
            raise BerError(f"trailing bytes in varbind at offset {vstop}")
        out.append((_oid(data, ostart, ostop), tag, _value(data, tag, vstart, vstop)))
        pos = stop
    return tuple(out)


def peek_version(data: bytes) -> int:
    """The message's SNMP version field (0 = v1, 1 = v2c, 3 = v3), without decoding the rest."""
    start, stop = _expect(data, 0, len(data), TAG_SEQUENCE, "message")
    vstart, vstop = _expect(data, start, stop, TAG_INTEGER, "version")
    return _int(data, vstart, vstop)


def _outer(data: bytes) -> tuple[int, int, int]:
    """The message's version, where the version ends and where the message ends; the datagram must
    be exactly one message (no trailing bytes)."""
    end = len(data)
    start, stop = _expect(data, 0, end, TAG_SEQUENCE, "message")
    if stop != end:
        raise BerError(f"{end - stop} trailing bytes after the message")
    vstart, vstop = _expect(data, start, stop, TAG_INTEGER, "version")
    return _int(data, vstart, vstop), vstop, stop


def decode_message(data: bytes, communities: Container[bytes] | None = None) -> Message:
    """Decode a v1/v2c message; raises :class:`BerError` for anything malformed or v3.

    With ``communities``, a message whose community is not among them raises
    :class:`UnknownCommunityError` before anything after the community is read: what an
    unauthenticated sender writes in the PDU costs nothing and is never cached.
    """
    version, vstop, stop = _outer(data)
    if version not in (VERSION_V1, VERSION_V2C):
        raise BerError(f"SNMP version {version} is not v1/v2c")
    cstart, cstop = _expect(data, vstop, stop, TAG_OCTET_STRING, "community")
    if communities is not None and data[cstart:cstop] not in communities:
        raise UnknownCommunityError("the community is not one of those accepted")
    pdu_type, pstart, pstop = _header(data, cstop, stop)
    if pdu_type == PDU_TRAP_V1:
        return _trap_v1(data, version, data[cstart:cstop], pstart, pstop)
    if not PDU_GET <= pdu_type <= PDU_REPORT:
        raise BerError(f"unknown PDU type 0x{pdu_type:02x}")
    return Message(version, data[cstart:cstop], pdu_type, *_pdu_body(data, pstart, pstop))


def _pdu_body(data: bytes, pos: int, end: int) -> tuple[int, int, int, tuple[VarBind, ...]]:
    """request-id, error-status, error-index and the varbinds of a (non-v1-trap) PDU's content."""
    fields = []
    for what in ("request-id", "error-status", "error-index"):
        istart, istop = _expect(data, pos, end, TAG_INTEGER, what)
        fields.append(_int(data, istart, istop))
        pos = istop
    lstart, lstop = _expect(data, pos, end, TAG_SEQUENCE, "varbind list")
    return fields[0], fields[1], fields[2], _varbinds(data, lstart, lstop)


def _trap_v1(data: bytes, version: int, community: bytes, pos: int, end: int) -> Message:
    estart, estop = _expect(data, pos, end, TAG_OID, "enterprise")
    astart, astop = _expect(data, estop, end, TAG_IPADDRESS, "agent-addr")
    numbers = []
    pos = astop
    for tag, what in ((TAG_INTEGER, "generic-trap"), (TAG_INTEGER, "specific-trap"), (TAG_TIMETICKS, "time-stamp")):
        istart, istop = _expect(data, pos, end, tag, what)
        numbers.append(_int(data, istart, istop, signed=tag == TAG_INTEGER))
        pos = istop
    lstart, lstop = _expect(data, pos, end, TAG_SEQUENCE, "varbind list")
    header = TrapV1Header(_oid(data, estart, estop), data[astart:astop], numbers[0], numbers[1], numbers[2])
    return Message(version, community, PDU_TRAP_V1, 0, 0, 0, _varbinds(data, lstart, lstop), header)


def oid_str(oid: Oid) -> str:
    return ".".join(map(str, oid))


def parse_oid(text: str) -> Oid:
    """``'1.3.6.1.2.1.1'`` or ``'.1.3.6...'`` to a tuple; raises ValueError on anything else."""
    parts = text.strip().lstrip(".").split(".")
    try:
        oid = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not a numeric OID (names need MIB files; use numbers)") from None
    if len(oid) < 2 or any(a < 0 for a in oid):
        raise ValueError(f"{text!r} is not a valid OID")
    return oid
