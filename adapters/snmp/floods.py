"""Hostile and absurd datagrams for a trap port: what the flood bench sends and the tests check.

Each kind is a stream of datagrams, each different from the last (a cache keyed by content must not
hide the cost), built byte by byte where the encoders refuse (an OID beyond SMI's bounds, random
bytes where an OID goes). Most come from a sender without the community or key; two hold the
community and send nonsense, which the receiver must refuse or bound all the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from adapters.snmp import ber, mib, v3msg

_SYS_UPTIME_0 = (*mib.SYSTEM, 3, 0)
_NULL = ber.encode_value(ber.TAG_NULL, None)
BIG_OID_BYTES = 64_000  # an OID filling most of a UDP datagram (65,507 bytes at most)
HUGE_ARC = 10**4301  # one digit past Python's default limit for int-to-decimal conversion


@dataclass(frozen=True, slots=True)
class Flood:
    name: str
    what: str
    count: int  # datagrams in one flood, as in the report that found the problem where it gave one
    make: Callable[[random.Random, int], bytes]  # (rng, index) -> one datagram
    authenticated: bool = False  # sent with the receiver's community


def raw_oid(content: bytes) -> bytes:
    """An OID TLV with ``content`` as its encoded sub-identifiers, whatever they are."""
    return ber.tlv(ber.TAG_OID, content)


def v2c_trap(community: bytes, trap_oid: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """A v2c trap whose snmpTrapOID.0 value is the OID TLV ``trap_oid``; ``extra`` holds more
    varbinds as (name TLV, value TLV)."""
    varbinds = [
        (ber.encode_oid(_SYS_UPTIME_0), ber.encode_value(ber.TAG_TIMETICKS, 1)),
        (ber.encode_oid(mib.SNMP_TRAP_OID), trap_oid),
        *(extra or []),
    ]
    body = b"".join(ber.tlv(ber.TAG_SEQUENCE, name + value) for name, value in varbinds)
    numbers = ber.encode_integer(1) + ber.encode_integer(0) + ber.encode_integer(0)
    pdu = ber.tlv(ber.PDU_TRAP_V2, numbers + ber.tlv(ber.TAG_SEQUENCE, body))
    return ber.tlv(
        ber.TAG_SEQUENCE, ber.encode_integer(ber.VERSION_V2C) + ber.tlv(ber.TAG_OCTET_STRING, community) + pdu
    )


def v3_plaintext(engine_id: bytes, user: bytes, oid: bytes | None, reportable: bool = False) -> bytes:
    """An SNMPv3 noAuthNoPriv message with a plaintext scoped PDU: a trap carrying the OID TLV
    ``oid``, or, with ``reportable`` (the flag of a request or an inform), a GET request; with no
    ``oid``, the varbind list is empty."""
    global_data = ber.tlv(
        ber.TAG_SEQUENCE,
        ber.encode_integer(1)
        + ber.encode_integer(65507)
        + ber.tlv(ber.TAG_OCTET_STRING, bytes((v3msg.FLAG_REPORTABLE if reportable else 0,)))
        + ber.encode_integer(v3msg.SECURITY_MODEL_USM),
    )
    usm = ber.tlv(
        ber.TAG_SEQUENCE,
        ber.tlv(ber.TAG_OCTET_STRING, engine_id)
        + ber.encode_integer(1)
        + ber.encode_integer(1)
        + ber.tlv(ber.TAG_OCTET_STRING, user)
        + ber.tlv(ber.TAG_OCTET_STRING, b"")
        + ber.tlv(ber.TAG_OCTET_STRING, b""),
    )
    varbinds = b"" if oid is None else ber.tlv(ber.TAG_SEQUENCE, oid + _NULL)
    numbers = ber.encode_integer(1) + ber.encode_integer(0) + ber.encode_integer(0)
    pdu = ber.tlv(ber.PDU_GET if reportable else ber.PDU_TRAP_V2, numbers + ber.tlv(ber.TAG_SEQUENCE, varbinds))
    scoped = ber.tlv(
        ber.TAG_SEQUENCE, ber.tlv(ber.TAG_OCTET_STRING, engine_id) + ber.tlv(ber.TAG_OCTET_STRING, b"") + pdu
    )
    return ber.tlv(
        ber.TAG_SEQUENCE,
        ber.encode_integer(ber.VERSION_V3) + global_data + ber.tlv(ber.TAG_OCTET_STRING, usm) + scoped,
    )


def discovery_probe() -> bytes:
    """An engine-id discovery request (RFC 3414 section 4): the receiver's report carries its id."""
    return v3_plaintext(b"", b"", None, reportable=True)


def _small_arcs(rng: random.Random, size: int) -> bytes:
    """``size`` one-byte sub-identifiers: a well-formed OID of ``size`` + 1 arcs."""
    return rng.randbytes(size).translate(bytes(range(128)) * 2)


def _garbage_oid(rng: random.Random, size: int) -> bytes:
    """Random bytes, ending where an arc ends (so that a decoder without bounds decodes them all)."""
    return rng.randbytes(size - 1) + bytes((rng.randrange(128),))


def _new_oid(rng: random.Random) -> bytes:
    """An OID of 100 arcs, most of them 32-bit: within SMI's bounds, and never seen before."""
    return ber.encode_oid((1, 3, 6, 1, 4, 1, *(rng.randrange(2**32) for _ in range(94))))


def floods(community: bytes, engine_id: bytes) -> list[Flood]:
    """The kinds, for a receiver accepting ``community`` whose engine id is ``engine_id`` (anyone
    learns it with a :func:`discovery_probe`)."""
    wrong = b"not-" + community
    return [
        Flood(
            "wrong-community-64k-oids",
            "v2c traps, wrong community, a 64 KB OID each",
            300,
            lambda rng, i: v2c_trap(
                wrong, ber.encode_oid(mib.LINK_DOWN), [(raw_oid(_small_arcs(rng, BIG_OID_BYTES)), _NULL)]
            ),
        ),
        Flood(
            "garbled",
            "v2c framing around random bytes: random community, random bytes as the trap OID",
            20_000,
            lambda rng, i: v2c_trap(rng.randbytes(8), raw_oid(_garbage_oid(rng, 700))),
        ),
        Flood(
            "v3-unknown-engine-64k-oids",
            "v3 noAuth traps from unknown engines, a 64 KB OID each",
            300,
            lambda rng, i: v3_plaintext(rng.randbytes(12), b"nobody", raw_oid(_small_arcs(rng, BIG_OID_BYTES))),
        ),
        Flood(
            "v3-requests-64k-oids",
            "v3 noAuth requests for the receiver's engine, unknown users, a 64 KB OID each",
            300,
            lambda rng, i: v3_plaintext(engine_id, b"nobody", raw_oid(_small_arcs(rng, BIG_OID_BYTES)), True),
        ),
        Flood(
            "absurd-arc",
            "v2c traps with the right community, a trap OID arc of 4,302 digits",
            300,
            lambda rng, i: v2c_trap(community, ber.encode_oid((1, 3, 6, 1, 4, 1, HUGE_ARC + i))),
            authenticated=True,
        ),
        Flood(
            "unique-oids",
            "v2c traps with the right community, each with 5 new OIDs of 100 arcs (within SMI's bounds)",
            10_000,
            lambda rng, i: v2c_trap(
                community, _new_oid(rng), [(_new_oid(rng), ber.encode_value(ber.TAG_INTEGER, i)) for _ in range(4)]
            ),
            authenticated=True,
        ),
    ]
