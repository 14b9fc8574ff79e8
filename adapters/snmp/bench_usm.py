"""What one SNMPv3 trap costs on the USM fast path, step by step, beside pysnmp's whole USM.

    .venv/bin/python -m adapters.snmp.bench_usm

One authPriv (SHA, AES) linkDown trap is made by net-snmp's snmptrap and captured; each step of the
fast path is then timed over it in process, and so is pysnmp's message processing of the same trap
(its receiver's path before the fast one). Prints microseconds per trap, then one JSON line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from adapters.snmp import usm, v3msg
from adapters.target import Secret, SnmpAccess
from adapters.testing import captured

ENGINE_ID = "8000000001020304"
USER = SnmpAccess(
    "v3", user="benchuser", auth_protocol="sha", auth_key=Secret("bench-auth-key"),
    priv_protocol="aes", priv_key=Secret("bench-priv-key"),
)


def captured_trap() -> bytes:
    (trap,) = captured([[
        "snmptrap", "-v3", "-e", f"0x{ENGINE_ID}", "-u", "benchuser", "-l", "authPriv", "-a", "SHA",
        "-A", "bench-auth-key", "-x", "AES", "-X", "bench-priv-key", "{to}",
        "", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7",
    ]])
    return trap


def per_call_us(call: Callable[[], Any], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count * 1e6


def pysnmp_usm(data: bytes) -> Callable[[], Any]:
    """pysnmp's v3 message processing of the trap (decode, USM checks, decryption), as its receiver runs it."""
    from pysnmp.entity import config, engine
    from pysnmp.hlapi.v3arch.asyncio import auth
    from pysnmp.proto.api import v2c

    snmp_engine = engine.SnmpEngine()
    config.add_v3_user(
        snmp_engine, "benchuser", auth.USM_AUTH_HMAC96_SHA, "bench-auth-key", auth.USM_PRIV_CFB128_AES,
        "bench-priv-key", securityEngineId=v2c.OctetString(hexValue=ENGINE_ID),
    )
    mp = snmp_engine.message_processing_subsystems[3]

    def process() -> Any:
        return mp.prepare_data_elements(snmp_engine, (1, 3, 6, 1, 6, 1, 1), ("127.0.0.1", 1), data)

    process()  # the first message also learns the sender engine's time
    return process


def main(count: int = 20_000) -> dict[str, float]:
    data = captured_trap()
    user = usm.localize(USER, bytes.fromhex(ENGINE_ID))
    message = v3msg.decode_v3(data)
    plain = usm.decrypt(user, message)
    window = usm.TimeWindow()
    figures = {
        "decode_v3_us": per_call_us(lambda: v3msg.decode_v3(data), count),
        "digest_us": per_call_us(lambda: usm.authentic(user, data, message), count),
        "time_window_us": per_call_us(
            lambda: window.accept(message.engine_id, message.engine_boots, message.engine_time), count
        ),
        "decrypt_us": per_call_us(lambda: usm.decrypt(user, message), count),
        "decode_scoped_pdu_us": per_call_us(lambda: v3msg.decode_scoped_pdu(plain), count),
    }
    figures["fast_path_total_us"] = sum(figures.values())
    figures["pysnmp_usm_us"] = per_call_us(pysnmp_usm(data), max(1, count // 10))
    for name, value in figures.items():
        print(f"{name:24} {value:8.1f}")
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
