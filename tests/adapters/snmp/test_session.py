"""SNMPv3 sessions: what pysnmp refuses becomes an AdapterError that never carries a key."""

from __future__ import annotations

import asyncio
import traceback

import pytest

from adapters import AdapterError, DeviceTarget, Secret, SnmpAccess
from adapters.snmp.driver import SnmpDriver, SnmpManager


@pytest.mark.parametrize(("auth_key", "priv_key"), [("Sh0rt-a", "long-enough-priv"), ("long-enough-auth", "Sh0rt-p")])
def test_a_key_shorter_than_rfc_3414_allows_is_an_adapter_error_that_never_quotes_it(
    auth_key: str, priv_key: str
) -> None:
    """pysnmp refuses a passphrase under 8 characters deep inside pyasn1, whose error quotes it."""
    access = SnmpAccess(
        "v3", port=9, timeout_s=0.2, retries=0, user="bob",  # nothing listens on 127.0.0.1:9
        auth_protocol="sha", auth_key=Secret(auth_key), priv_protocol="aes", priv_key=Secret(priv_key),
    )
    target = DeviceTarget("r1", "127.0.0.1", "frr", snmp=access)

    async def facts() -> None:
        manager = SnmpManager()
        try:
            await SnmpDriver(target, manager).get_facts()
        finally:
            manager.close()

    with pytest.raises(AdapterError) as caught:
        asyncio.run(facts())
    assert "of user 'bob': shorter than 8 characters" in str(caught.value)
    said = "".join(traceback.format_exception(caught.value))  # what a log's traceback or --debug shows
    assert "Sh0rt" not in said
