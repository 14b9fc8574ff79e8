"""The notification receiver against net-snmp's real senders (snmptrap, snmpinform) on loopback."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator

import pytest

from adapters.snmp import ber, floods, mib, v3msg
from adapters.snmp.traps import Notification, TrapReceiver, V3TrapUser
from adapters.target import Secret, SnmpAccess

USER = SnmpAccess(
    "v3",
    user="trapuser",
    auth_protocol="sha",
    auth_key=Secret("authpass123"),
    priv_protocol="aes",
    priv_key=Secret("privpass123"),
)
ENGINE_ID = "8000000001020304"
V3 = "-u trapuser -l authPriv -a SHA -A authpass123 -x AES -X privpass123"
IF_INDEX_3 = "1.3.6.1.2.1.2.2.1.1.3 i 3"


async def send(command: str) -> None:
    process = await asyncio.create_subprocess_shell(
        command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()


async def receiver() -> TrapReceiver:
    r = TrapReceiver("127.0.0.1", 0, communities=["pub"], v3_users=[V3TrapUser(USER, ENGINE_ID), V3TrapUser(USER)])
    await r.start()
    return r


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("command", "version", "trap_oid", "inform"),
    [
        (f"snmptrap -v1 -c pub {{to}} 1.3.6.1.4.1.8072 198.51.100.9 2 0 '' {IF_INDEX_3}", "v1", mib.LINK_DOWN, False),
        (f"snmptrap -v2c -c pub {{to}} '' 1.3.6.1.6.3.1.1.5.3 {IF_INDEX_3}", "v2c", mib.LINK_DOWN, False),
        (f"snmpinform -v2c -c pub {{to}} '' 1.3.6.1.6.3.1.1.5.4 {IF_INDEX_3}", "v2c", mib.LINK_UP, True),
        (f"snmptrap -v3 -e 0x{ENGINE_ID} {V3} {{to}} '' 1.3.6.1.6.3.1.1.5.3 {IF_INDEX_3}", "v3", mib.LINK_DOWN, False),
        (f"snmpinform -v3 {V3} {{to}} '' 1.3.6.1.6.3.1.1.5.4 {IF_INDEX_3}", "v3", mib.LINK_UP, True),
        (
            "snmptrap -v1 -c pub {to} 1.3.6.1.4.1.8072.4 198.51.100.9 6 17 ''",
            "v1",
            (1, 3, 6, 1, 4, 1, 8072, 4, 0, 17),
            False,
        ),
    ],
)
def test_each_kind_of_notification_is_decoded(command: str, version: str, trap_oid: ber.Oid, inform: bool) -> None:
    async def scenario() -> Notification:
        r = await receiver()
        try:
            await send(command.format(to=f"127.0.0.1:{r.bound_port}"))  # an inform returns only once acknowledged
            return await r.get(5)
        finally:
            r.close()

    n = run(scenario())
    assert isinstance(n, Notification)
    assert (n.version, n.trap_oid, n.inform, n.source) == (version, trap_oid, inform, "127.0.0.1")
    if "1.3.6.1.2.1.2.2.1.1.3" in command:
        assert n.varbinds == (((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3), ber.TAG_INTEGER, 3),)
    assert n.security_name == ("trapuser" if version == "v3" else "community")


def test_wrong_community_and_wrong_v3_key_are_rejected() -> None:
    async def scenario() -> TrapReceiver:
        r = await receiver()
        try:
            to = f"127.0.0.1:{r.bound_port}"
            await send(f"snmptrap -v2c -c wrong {to} '' 1.3.6.1.6.3.1.1.5.3")
            await send(
                f"snmptrap -v3 -e 0x{ENGINE_ID} {V3.replace('authpass123', 'badpass999')} {to} '' 1.3.6.1.6.3.1.1.5.3"
            )
            await send(f"snmptrap -v2c -c pub {to} '' 1.3.6.1.6.3.1.1.5.1")
            n = await r.get(5)
            assert n.trap_oid == mib.COLD_START  # the only one accepted
            assert r.drain() == []
            return r
        finally:
            r.close()

    r = run(scenario())
    assert isinstance(r, TrapReceiver)
    assert r.stats.rejected == 2  # the wrong community, and the v3 trap whose digest does not match
    counts = r.counts()
    assert (counts["bad_community"], counts["failed_digest"], counts["malformed"]) == (1, 1, 0)


# net-snmp's names for the protocols, and ours
V3_PROTOCOLS = [
    ("MD5", None, "md5", None),
    ("SHA", "AES", "sha", "aes"),
    ("SHA-224", "AES", "sha224", "aes128"),
    ("SHA-384", "AES-256", "sha384", "aes256"),
    # a digest shorter than the AES key: the Blumenthal and the Reeder (Cisco) key extensions differ
    ("SHA", "AES-256", "sha", "aes256"),
    ("MD5", "AES-192", "md5", "aes192"),
    ("SHA-512", "AES-256-C", "sha512", "aes256c"),
    ("SHA", "AES-192-C", "sha", "aes192c"),
    ("SHA", "AES-256-C", "sha", "aes256c"),
]


@pytest.mark.parametrize(("auth", "priv", "our_auth", "our_priv"), V3_PROTOCOLS)
def test_v3_fast_path_agrees_with_pysnmp_usm(auth: str, priv: str | None, our_auth: str, our_priv: str | None) -> None:
    """The same snmptrap-made v3 trap, through our USM fast path and through pysnmp's USM."""
    access = SnmpAccess(
        "v3",
        user="fastuser",
        auth_protocol=our_auth,  # type: ignore[arg-type]
        auth_key=Secret("authpass123"),
        priv_protocol=our_priv,  # type: ignore[arg-type]
        priv_key=Secret("privpass123") if our_priv else None,
    )
    level = f"-l authPriv -x {priv} -X privpass123" if priv else "-l authNoPriv"
    command = (
        f"snmptrap -v3 -e 0x{ENGINE_ID} -u fastuser -a {auth} -A authpass123 {level} {{to}} 4242 "
        f"1.3.6.1.6.3.1.1.5.3 {IF_INDEX_3} 1.3.6.1.2.1.31.1.1.1.1.3 s eth2"
    )

    async def through(fast: bool) -> tuple[Notification, TrapReceiver]:
        r = TrapReceiver("127.0.0.1", 0, v3_users=[V3TrapUser(access, ENGINE_ID)], v3_fast_path=fast)
        await r.start()
        try:
            await send(command.format(to=f"127.0.0.1:{r.bound_port}"))
            return await r.get(5), r
        finally:
            r.close()

    fast, fast_receiver = run(through(True))  # type: ignore[misc]
    slow, slow_receiver = run(through(False))  # type: ignore[misc]
    assert (fast_receiver.stats.v3_fast_path, slow_receiver.stats.v3_fast_path) == (1, 0)
    assert fast.uptime_ticks == 4242 and fast.trap_oid == mib.LINK_DOWN and fast.security_name == "fastuser"
    assert fast.varbinds == (
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3), ber.TAG_INTEGER, 3),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 3), ber.TAG_OCTET_STRING, b"eth2"),
    )
    same = ("source", "version", "security_name", "trap_oid", "uptime_ticks", "varbinds", "inform")
    assert {k: getattr(fast, k) for k in same} == {k: getattr(slow, k) for k in same}


def test_v3_traps_outside_the_time_window_are_rejected() -> None:
    """RFC 3414's window against the sender's boots and time (net-snmp's snmptrap -Z sets them)."""

    async def scenario() -> tuple[list[int], TrapReceiver]:
        r = TrapReceiver("127.0.0.1", 0, v3_users=[V3TrapUser(USER, ENGINE_ID)])
        await r.start()
        try:
            to = f"127.0.0.1:{r.bound_port}"
            for boots_time, index in (("5,1000", 1), ("4,5000", 2), ("5,800", 3), ("5,900", 4), ("6,10", 5)):
                await send(
                    f"snmptrap -v3 -e 0x{ENGINE_ID} -Z {boots_time} {V3} {to} '' 1.3.6.1.6.3.1.1.5.3 "
                    f"1.3.6.1.2.1.2.2.1.1.{index} i {index}"
                )
            await send(f"snmptrap -v3 -e 0x{ENGINE_ID} -Z 5,2000 {V3} {to} '' 1.3.6.1.6.3.1.1.5.3")  # boots went back
            seen = [await r.get(5) for _ in range(3)]
            await asyncio.sleep(0)
            assert r.drain() == []
            return [int(n.varbinds[0][2]) for n in seen], r  # type: ignore[arg-type]
        finally:
            r.close()

    accepted, r = run(scenario())  # type: ignore[misc]
    # boots 4 after 5: old; time 800 when 1000 was seen: more than 150 s behind; 900: within the window
    assert accepted == [1, 4, 5]
    assert r.stats.rejected == 3


def test_random_and_truncated_payloads_never_stop_the_receiver() -> None:
    valid = ber.encode_message(
        ber.VERSION_V2C,
        b"pub",
        ber.PDU_TRAP_V2,
        1,
        [((*mib.SYSTEM, 3, 0), ber.TAG_TIMETICKS, 5), (mib.SNMP_TRAP_OID, ber.TAG_OID, mib.LINK_DOWN)],
    )
    rng = random.Random(1234)
    junk = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))) for _ in range(2000)]
    junk += [valid[:cut] for cut in range(len(valid))]
    junk += [b"\x30\x84\xff\xff\xff\xff", b"\x30\x03\x02\x01\x03", b"\x30\x0b\x02\x01\x03\x30\x06" + b"\x00" * 6]

    async def scenario() -> TrapReceiver:
        r = await receiver()
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for payload in junk:
                sender.sendto(payload, ("127.0.0.1", r.bound_port))
            sender.sendto(valid, ("127.0.0.1", r.bound_port))
            n = await r.get(10)
            assert n.trap_oid == mib.LINK_DOWN and n.uptime_ticks == 5
            return r
        finally:
            sender.close()
            r.close()

    r = run(scenario())
    assert isinstance(r, TrapReceiver)
    assert r.stats.notifications >= 1
    assert r.stats.datagrams == len(junk) + 1
    assert r.stats.malformed + r.stats.rejected + r.stats.notifications >= len(junk) - 50


async def _aiter_first(r: TrapReceiver) -> AsyncIterator[Notification]:
    async for n in r:
        yield n
        return


def test_the_receiver_is_an_async_stream() -> None:
    async def scenario() -> Notification:
        r = await receiver()
        try:
            await send(f"snmptrap -v2c -c pub 127.0.0.1:{r.bound_port} '' 1.3.6.1.6.3.1.1.5.2")
            async for n in _aiter_first(r):
                return n
            raise AssertionError("no notification")
        finally:
            r.close()

    n = run(scenario())
    assert isinstance(n, Notification) and n.trap_oid == mib.WARM_START


def _link_down(request_id: int) -> bytes:
    return ber.encode_message(
        ber.VERSION_V2C,
        b"pub",
        ber.PDU_TRAP_V2,
        request_id,
        [((*mib.SYSTEM, 3, 0), ber.TAG_TIMETICKS, request_id), (mib.SNMP_TRAP_OID, ber.TAG_OID, mib.LINK_DOWN)],
    )


def test_a_burst_is_read_in_batches_not_one_loop_turn_per_trap() -> None:
    count = 1000

    async def scenario() -> tuple[list[Notification], TrapReceiver]:
        r = await receiver()
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for i in range(count):  # all queued on the socket before the loop gets a turn
                sender.sendto(_link_down(i), ("127.0.0.1", r.bound_port))
            got = [await r.get(10) for _ in range(count)]
            return got, r
        finally:
            sender.close()
            r.close()

    got, r = run(scenario())  # type: ignore[misc]
    assert [n.uptime_ticks for n in got] == list(range(count))  # all of them, in order
    assert r.socket_reads <= count // 256 + 3, r.socket_reads


def test_a_datagram_that_breaks_processing_is_counted_and_the_next_ones_still_arrive() -> None:
    async def scenario() -> tuple[list[Notification], TrapReceiver]:
        r = TrapReceiver("127.0.0.1", 0, communities=["pub"])
        fast_path = r._fast_path
        calls = 0

        def breaks_once(*args: object) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise RuntimeError("a bug met by the second trap")
            fast_path(*args)  # type: ignore[arg-type]

        r._fast_path = breaks_once  # type: ignore[method-assign]
        await r.start()
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for i in range(5):
                sender.sendto(_link_down(i), ("127.0.0.1", r.bound_port))
            return [await r.get(10) for _ in range(4)], r
        finally:
            sender.close()
            r.close()

    got, r = run(scenario())  # type: ignore[misc]
    assert [n.uptime_ticks for n in got] == [0, 2, 3, 4]
    assert r.stats.internal_errors == 1 and r.stats.errors == ["RuntimeError: a bug met by the second trap"]


def test_an_absurd_trap_costs_only_itself() -> None:
    """A well-formed v2c trap with the right community whose trap OID has an arc of 4,302 digits,
    between two good ones: it is counted as malformed, and the good ones arrive."""
    absurd = ber.encode_message(
        ber.VERSION_V2C, b"pub", ber.PDU_TRAP_V2, 9, [(mib.SNMP_TRAP_OID, ber.TAG_OID, (1, 3, 6, 1, 4, 1, 10**4301))]
    )

    async def scenario() -> tuple[list[Notification], TrapReceiver]:
        r = await receiver()
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for payload in (_link_down(1), absurd, _link_down(2)):
                sender.sendto(payload, ("127.0.0.1", r.bound_port))
            got = [await r.get(10) for _ in range(2)]
            await _settled(r, 3)
            return got, r
        finally:
            sender.close()
            r.close()

    got, r = run(scenario())  # type: ignore[misc]
    assert [n.uptime_ticks for n in got] == [1, 2]
    assert r.drain() == [] and r.counts()["malformed"] == 1


async def _settled(r: TrapReceiver, datagrams: int) -> None:
    """Until the receiver has taken ``datagrams`` datagrams (a refusal produces nothing to wait for)."""
    async with asyncio.timeout(20):
        while r.stats.datagrams < datagrams:  # noqa: ASYNC110 - the receiver exposes only a count
            await asyncio.sleep(0.01)


async def sent_anyway(command: str) -> None:
    """Run a sender that may fail (an inform nobody answers times out)."""
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_shell(command, stdout=pipe, stderr=pipe)
    await asyncio.wait_for(process.communicate(), 30)


def test_v3_messages_are_judged_before_pysnmp_decodes_them() -> None:
    """Real senders (net-snmp) and raw datagrams: each refusal is counted under its reason, pysnmp never
    sees a refused message, and the good trap and inform still arrive."""
    trap = f"snmptrap -v3 -e 0x{ENGINE_ID}"
    link_down = "1.3.6.1.6.3.1.1.5.3"

    async def scenario() -> tuple[dict[str, int], int, bytes, list[Notification]]:
        r = await receiver()
        to = f"127.0.0.1:{r.bound_port}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(5)
        try:
            in_pkts = r._engine.get_mib_builder().import_symbols("__SNMPv2-MIB", "snmpInPkts")[0]
            sock.sendto(floods.discovery_probe(), ("127.0.0.1", r.bound_port))
            engine_id = v3msg.decode_v3(await asyncio.to_thread(sock.recv, 65535)).engine_id  # pysnmp answers
            handled = int(in_pkts.syntax)
            big = floods.raw_oid(bytes(60_000))
            refused = [
                floods.v3_plaintext(b"\x80\x00\x00\x00\x09\x09", b"trapuser", big),  # a trap, unknown engine
                floods.v3_plaintext(b"\x80\x00\x00\x00\x09\x09", b"trapuser", big, True),  # a request, not for us
                floods.v3_plaintext(engine_id, b"nobody", big, True),  # for us, unknown user
                floods.v3_plaintext(engine_id, b"trapuser", big, True),  # noAuth for an authPriv user
                floods.v3_plaintext(b"", b"", big, True),  # a discovery probe carrying 60 KB
            ]
            for payload in refused:
                sock.sendto(payload, ("127.0.0.1", r.bound_port))
            await sent_anyway(f"{trap} -u nobody -l authNoPriv -a SHA -A authpass123 {to} '' {link_down}")
            await sent_anyway(f"{trap} -u trapuser -l authNoPriv -a SHA -A authpass123 {to} '' {link_down}")
            wrong_key = V3.replace("authpass123", "badpass999")
            await sent_anyway(f"snmpinform -t 1 -r 0 -v3 -e 0x{engine_id.hex()} {wrong_key} {to} '' {link_down}")
            await _settled(r, 1 + len(refused) + 3)
            refused_handled = int(in_pkts.syntax) - handled
            await send(f"{trap} {V3} {to} '' {link_down}")
            await send(f"snmpinform -v3 {V3} {to} '' 1.3.6.1.6.3.1.1.5.4")
            return r.counts(), refused_handled, engine_id, [await r.get(5) for _ in range(2)]
        finally:
            sock.close()
            r.close()

    counts, refused_handled, engine_id, good = run(scenario())  # type: ignore[misc]
    assert len(engine_id) >= 5
    assert refused_handled == 0  # pysnmp did not even count them as received
    assert {k: counts[k] for k in ("unknown_engine", "unknown_user", "unsupported_security_level", "malformed")} == {
        "unknown_engine": 2,
        "unknown_user": 2,
        "unsupported_security_level": 2,
        "malformed": 1,
    }
    assert counts["failed_digest"] == 1  # the inform with the wrong key: refused before pysnmp
    assert [(n.trap_oid, n.inform) for n in good] == [(mib.LINK_DOWN, False), (mib.LINK_UP, True)]


@pytest.mark.parametrize("engine_id", ["80001f8880aabbccdd", None])
def test_a_v3_key_shorter_than_rfc_3414_allows_stops_the_start_without_quoting_it(engine_id: str | None) -> None:
    """pysnmp refuses a passphrase under 8 characters deep inside pyasn1, whose error quotes it."""
    import traceback

    from adapters import AdapterError

    access = SnmpAccess("v3", user="u1", auth_protocol="sha", auth_key=Secret("Sh0rt-a"))
    receiver = TrapReceiver("127.0.0.1", 0, v3_users=[V3TrapUser(access, engine_id)])
    with pytest.raises(AdapterError) as caught:
        asyncio.run(receiver.start())
    assert str(caught.value) == "receive traps: SNMPv3 auth_key of user 'u1': shorter than 8 characters (RFC 3414)"
    assert "Sh0rt" not in "".join(traceback.format_exception(caught.value))
