"""The BER codec: round trips, agreement with pysnmp's own encoder/decoder, and malformed input."""

from __future__ import annotations

import random
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder as pyasn1_decoder
from pyasn1.codec.ber import encoder as pyasn1_encoder
from pysnmp.proto import api

from adapters.snmp import ber

oids = st.tuples(st.integers(0, 2), st.integers(0, 39)).flatmap(
    lambda head: st.lists(st.integers(0, 2**32 - 1), max_size=12).map(lambda tail: (*head, *tail))
)
values = st.one_of(
    st.tuples(st.just(ber.TAG_INTEGER), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(ber.TAG_OCTET_STRING), st.binary(max_size=300)),
    st.tuples(st.just(ber.TAG_NULL), st.none()),
    st.tuples(st.just(ber.TAG_OID), oids),
    st.tuples(st.just(ber.TAG_IPADDRESS), st.binary(min_size=4, max_size=4)),
    st.tuples(st.sampled_from([ber.TAG_COUNTER32, ber.TAG_GAUGE32, ber.TAG_TIMETICKS]), st.integers(0, 2**32 - 1)),
    st.tuples(st.just(ber.TAG_COUNTER64), st.integers(0, 2**64 - 1)),
    st.tuples(st.sampled_from(sorted(ber.EXCEPTION_TAGS)), st.none()),
)
varbinds = st.lists(st.tuples(oids, values).map(lambda p: (p[0], *p[1])), max_size=20)


@given(
    st.sampled_from([ber.VERSION_V1, ber.VERSION_V2C]),
    st.binary(max_size=40),
    st.sampled_from([ber.PDU_GET, ber.PDU_GETNEXT, ber.PDU_RESPONSE, ber.PDU_SET, ber.PDU_GETBULK, ber.PDU_TRAP_V2]),
    st.integers(-(2**31), 2**31 - 1),
    varbinds,
)
def test_round_trip(version: int, community: bytes, pdu: int, request_id: int, vbs: list[ber.VarBind]) -> None:
    data = ber.encode_message(version, community, pdu, request_id, vbs, 0, 0)
    message = ber.decode_message(data)
    assert (message.version, message.community, message.pdu_type, message.request_id) == (
        version,
        community,
        pdu,
        request_id,
    )
    assert list(message.varbinds) == vbs
    assert ber.peek_version(data) == version


@given(varbinds, st.integers(0, 2**31 - 1))
@settings(max_examples=60)
def test_pysnmp_decodes_what_we_encode(vbs: list[ber.VarBind], request_id: int) -> None:
    data = ber.encode_message(ber.VERSION_V2C, b"public", ber.PDU_RESPONSE, request_id, vbs)
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, rest = pyasn1_decoder.decode(data, asn1Spec=module.Message())
    assert rest == b""
    pdu = module.apiMessage.get_pdu(message)
    assert int(module.apiPDU.get_request_id(pdu)) == request_id
    decoded = [(tuple(oid), value) for oid, value in module.apiPDU.get_varbinds(pdu)]
    assert [oid for oid, _ in decoded] == [oid for oid, _, _ in vbs]


def test_we_decode_what_pysnmp_encodes() -> None:
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = module.GetResponsePDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, 4242)
    module.apiPDU.set_varbinds(
        pdu,
        [
            ((1, 3, 6, 1, 2, 1, 1, 5, 0), module.OctetString(b"pe1")),
            ((1, 3, 6, 1, 2, 1, 1, 3, 0), module.TimeTicks(12345)),
            ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 2), module.Counter64(2**64 - 1)),
            ((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 2), module.Integer(2)),
            ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10, 0, 0, 1), module.IpAddress("10.0.0.1")),
        ],
    )
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, "s3cr3t")
    module.apiMessage.set_pdu(message, pdu)
    decoded = ber.decode_message(pyasn1_encoder.encode(message))
    assert decoded.community == b"s3cr3t" and decoded.request_id == 4242
    assert [(t, v) for _, t, v in decoded.varbinds] == [
        (ber.TAG_OCTET_STRING, b"pe1"),
        (ber.TAG_TIMETICKS, 12345),
        (ber.TAG_COUNTER64, 2**64 - 1),
        (ber.TAG_INTEGER, 2),
        (ber.TAG_IPADDRESS, bytes([10, 0, 0, 1])),
    ]


def test_v1_trap_is_decoded() -> None:
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
    pdu = module.TrapPDU()
    module.apiTrapPDU.set_defaults(pdu)
    module.apiTrapPDU.set_enterprise(pdu, (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10))
    module.apiTrapPDU.set_agent_address(pdu, module.IpAddress("198.51.100.11"))
    module.apiTrapPDU.set_generic_trap(pdu, 2)
    module.apiTrapPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3), module.Integer(3))])
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, "public")
    module.apiMessage.set_pdu(message, pdu)
    decoded = ber.decode_message(pyasn1_encoder.encode(message))
    assert decoded.pdu_type == ber.PDU_TRAP_V1 and decoded.trap_v1 is not None
    assert decoded.trap_v1.generic_trap == 2
    assert decoded.trap_v1.agent_address == bytes([198, 51, 100, 11])
    assert decoded.varbinds == (((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3), ber.TAG_INTEGER, 3),)


@given(st.binary(max_size=200))
@settings(max_examples=500)
def test_random_bytes_raise_ber_error_or_decode(data: bytes) -> None:
    """Anything else (IndexError, RecursionError, a hang) would stop a trap receiver."""
    try:
        message = ber.decode_message(data)
    except ber.BerError as exc:
        assert "offset" in str(exc) or "version" in str(exc) or "tag" in str(exc) or "trailing" in str(exc)
    else:
        assert isinstance(message, ber.Message)


@given(varbinds.filter(bool), st.data())
@settings(max_examples=200)
def test_every_truncation_of_a_valid_message_is_a_ber_error(vbs: list[ber.VarBind], data: st.DataObject) -> None:
    message = ber.encode_message(ber.VERSION_V2C, b"public", ber.PDU_RESPONSE, 7, vbs)
    cut = data.draw(st.integers(0, len(message) - 1))
    with pytest.raises(ber.BerError):
        ber.decode_message(message[:cut])


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "truncated TLV at offset 0"),
        (bytes.fromhex("3080"), "unsupported length form 0x80"),
        (bytes.fromhex("300302010300"), "trailing bytes"),
        (bytes.fromhex("3005020103"), "runs past the end"),
        (bytes.fromhex("30050201010400"), "truncated TLV at offset 7"),
        (bytes.fromhex("3003020103"), "SNMP version 3 is not v1/v2c"),
    ],
)
def test_malformed_messages_say_what_and_where(data: bytes, fragment: str) -> None:
    with pytest.raises(ber.BerError, match=fragment):
        ber.decode_message(data)


def test_numeric_oids_only() -> None:
    assert ber.parse_oid(".1.3.6.1.2.1.1") == (1, 3, 6, 1, 2, 1, 1)
    with pytest.raises(ValueError, match="not a numeric OID"):
        ber.parse_oid("IF-MIB::ifDescr")


def _trap_with_oid(oid_tlv: bytes, community: bytes = b"public") -> bytes:
    """A v2c trap whose snmpTrapOID.0 value is the OID TLV ``oid_tlv`` (built as a sender wants)."""
    name = ber.encode_oid((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0))
    varbind = ber.tlv(ber.TAG_SEQUENCE, name + oid_tlv)
    numbers = ber.encode_integer(1) + ber.encode_integer(0) + ber.encode_integer(0)
    pdu = ber.tlv(ber.PDU_TRAP_V2, numbers + ber.tlv(ber.TAG_SEQUENCE, varbind))
    return ber.tlv(ber.TAG_SEQUENCE, ber.encode_integer(1) + ber.tlv(ber.TAG_OCTET_STRING, community) + pdu)


@pytest.mark.parametrize(
    "oid",
    [
        (1, 3, 6, 1, 4, 1, 2**32),  # one past SMI's 32-bit sub-identifier
        (1, 3, 6, 1, 4, 1, 10**4301),  # an arc whose decimal form Python refuses to print
        (1, 3, *range(127)),  # 129 arcs
    ],
)
def test_an_oid_beyond_smis_bounds_is_malformed(oid: ber.Oid) -> None:
    with pytest.raises(ber.BerError, match="SMI"):
        ber.decode_message(_trap_with_oid(ber.encode_oid(oid)))  # the encoder writes what it is given


def test_an_oid_at_smis_bounds_decodes() -> None:
    for oid in ((1, 3, 6, 1, 4, 1, 2**32 - 1), (1, 3, *range(126))):
        message = ber.decode_message(_trap_with_oid(ber.encode_oid(oid)))
        assert message.varbinds[0][2] == oid and ber.valid_oid(oid)
    assert not ber.valid_oid((1, 3, 2**32)) and not ber.valid_oid((1,)) and not ber.valid_oid((1, 3, *range(127)))


def test_a_64_kb_oid_is_refused_by_its_size() -> None:
    with pytest.raises(ber.BerError, match="OID of 64000 bytes at offset"):
        ber.decode_message(_trap_with_oid(ber.tlv(ber.TAG_OID, bytes(64_000))))


def test_a_wrong_community_is_refused_before_the_pdu_is_read() -> None:
    """What an unauthenticated sender writes past the community is neither decoded nor cached."""
    ber.clear_oid_cache()
    oid = ber.tlv(ber.TAG_OID, bytes(range(1, 100)))
    with pytest.raises(ber.UnknownCommunityError):
        ber.decode_message(_trap_with_oid(oid, community=b"wrong"), {b"public"})
    assert ber.oid_cache_bytes() == 0
    right = ber.decode_message(_trap_with_oid(oid), {b"public"})
    assert right.community == b"public" and ber.oid_cache_bytes() > 0
    with pytest.raises(ber.BerError):  # the message's framing is checked before its community
        ber.decode_message(b"\x30\x03\x02\x01", {b"public"})


def _unique(i: int, rng: random.Random) -> bytes:
    return _trap_with_oid(ber.encode_oid((1, 3, 6, 1, 4, 1, i, *(rng.randrange(2**32) for _ in range(100)))))


def test_the_oid_cache_estimate_is_an_upper_bound_of_its_memory() -> None:
    ber.clear_oid_cache()
    rng = random.Random(7)
    messages = [_unique(i, rng) for i in range(300)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for message in messages:
            ber.decode_message(message)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0 < held <= ber.oid_cache_bytes(), (held, ber.oid_cache_bytes())


def test_the_oid_cache_is_bounded_by_bytes() -> None:
    ber.clear_oid_cache()
    rng = random.Random(8)
    sizes = []
    for i in range(8_000):  # 100-arc OIDs, each new: more than the budget holds
        ber.decode_message(_unique(i, rng))
        sizes.append(ber.oid_cache_bytes())
    assert max(sizes) <= ber.OID_CACHE_BYTES
    assert max(sizes) > ber.OID_CACHE_BYTES * 0.9 and sizes[-1] < max(sizes)  # filled, then started again
    ber.clear_oid_cache()
