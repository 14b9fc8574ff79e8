"""The USM fast path's pieces: the v3 codec on real snmptrap output, the digest, the time window."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.snmp import ber, mib, usm, v3msg
from adapters.target import Secret, SnmpAccess
from adapters.testing import captured

ENGINE_ID = bytes.fromhex("80001f8880aabbccdd")
USER = SnmpAccess(
    "v3", user="u1", auth_protocol="sha256", auth_key=Secret("authpass123"),
    priv_protocol="aes", priv_key=Secret("privpass123"),
)


# one authPriv linkDown trap as net-snmp's snmptrap puts it on the wire
(TRAP,) = captured([[
    "snmptrap", "-v3", "-e", f"0x{ENGINE_ID.hex()}", "-Z", "7,12345", "-u", "u1", "-l", "authPriv",
    "-a", "SHA-256", "-A", "authpass123", "-x", "AES", "-X", "privpass123",
    "{to}", "99", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7",
]])
LOCAL = usm.localize(USER, ENGINE_ID)


def test_a_real_trap_is_decoded_authenticated_and_decrypted() -> None:
    message = v3msg.decode_v3(TRAP)
    assert (message.engine_id, message.user, message.engine_boots, message.engine_time) == (
        ENGINE_ID, b"u1", 7, 12345)
    assert message.flags & (v3msg.FLAG_AUTH | v3msg.FLAG_PRIV) == LOCAL.flags
    assert usm.authentic(LOCAL, TRAP, message)
    scoped = v3msg.decode_scoped_pdu(usm.decrypt(LOCAL, message))
    assert scoped.pdu_type == ber.PDU_TRAP_V2
    assert scoped.varbinds == (
        ((*mib.SYSTEM, 3, 0), ber.TAG_TIMETICKS, 99),
        (mib.SNMP_TRAP_OID, ber.TAG_OID, mib.LINK_DOWN),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7), ber.TAG_INTEGER, 7),
    )


def test_any_changed_byte_fails_the_digest_or_the_decoding() -> None:
    for position in range(len(TRAP)):
        changed = bytearray(TRAP)
        changed[position] ^= 0x01
        try:
            message = v3msg.decode_v3(bytes(changed))
        except ber.BerError:
            continue
        assert not usm.authentic(LOCAL, bytes(changed), message), f"byte {position} changed, digest still good"


def test_keys_localized_to_another_engine_do_not_authenticate() -> None:
    other = usm.localize(USER, bytes.fromhex("80001f8880aabbccde"))
    assert not usm.authentic(other, TRAP, v3msg.decode_v3(TRAP))
    assert "authpass" not in repr(LOCAL) and LOCAL.auth_key.hex() not in repr(LOCAL)


def test_every_truncation_is_a_ber_error() -> None:
    for cut in range(len(TRAP)):
        with pytest.raises(ber.BerError):
            v3msg.decode_v3(TRAP[:cut])


@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_ber_error(data: bytes) -> None:
    for payload in (data, TRAP[:40] + data):
        with contextlib.suppress(ber.BerError):
            v3msg.decode_v3(payload)
        with contextlib.suppress(ber.BerError):
            v3msg.decode_scoped_pdu(payload)


def test_des_and_unauthenticated_users_stay_on_pysnmp() -> None:
    assert not usm.fast_path_supports(SnmpAccess("v3", user="x"))
    des = SnmpAccess("v3", user="x", auth_protocol="sha", auth_key=Secret("a" * 8),
                     priv_protocol="des", priv_key=Secret("b" * 8))
    assert not usm.fast_path_supports(des)
    with pytest.raises(ValueError, match="not handled"):
        usm.localize(des, ENGINE_ID)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_window_follows_rfc_3414() -> None:
    clock = Clock()
    window = usm.TimeWindow(clock)
    engine = b"e1"
    assert window.accept(engine, 3, 500)  # first contact: learned
    assert window.accept(engine, 3, 500)  # the same again: within the window
    assert window.accept(engine, 3, 350)  # 150 s behind: still in
    assert not window.accept(engine, 3, 349)
    assert not window.accept(engine, 2, 10_000)  # fewer boots: a replay from before a restart
    clock.now += 100  # the local notion of the engine's time advances with local time
    assert not window.accept(engine, 3, 449)
    assert window.accept(engine, 3, 450)
    assert window.accept(engine, 4, 1)  # a reboot: learned, and the old boots are now out
    assert not window.accept(engine, 3, 10_000)
    assert window.accept(b"e2", 0, 0)  # engines are independent
    assert not window.accept(b"e3", 2**31 - 1, 5)  # boots at the maximum: the engine must be re-keyed


def test_shared_master_keys_give_the_same_localized_keys() -> None:
    masters: usm.MasterKeys = {}
    engines = [ENGINE_ID, bytes.fromhex("80001f8880aabbccde")]
    shared = [usm.localize(USER, engine, masters) for engine in engines]
    alone = [usm.localize(USER, engine) for engine in engines]
    assert [(u.auth_key, u.priv_key) for u in shared] == [(u.auth_key, u.priv_key) for u in alone]
    assert len(masters) == 2  # one auth and one priv derivation for both engines
    assert shared[0].auth_key != shared[1].auth_key


def test_the_usm_benchmark_runs_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    from adapters.snmp import bench_usm

    figures = bench_usm.main(count=20)
    steps = ("decode_v3_us", "digest_us", "time_window_us", "decrypt_us", "decode_scoped_pdu_us")
    assert all(figures[s] > 0 for s in steps)
    assert figures["fast_path_total_us"] == pytest.approx(sum(figures[s] for s in steps))
    assert capsys.readouterr().out.splitlines()[-1].startswith('{"decode_v3_us": ')
