"""The daemon's trap receiver, built from the inventory: v3 traps from devices whose engine id it gives."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.snmp import mib
from adapters.snmp.traps import Notification, TrapReceiver
from oss_agent.config import AgentSettings, Inventory, load_inventory
from oss_agent.entrypoints.daemon import trap_receiver

from ...ports import free_udp_port

INVENTORY = """\
defaults:
  platform: frr
  snmp: {version: v3, user: trapper, auth_protocol: sha256, auth_key: {env: AUTH},
         priv_protocol: aes, priv_key: {env: PRIV}}
devices:
  - {name: r1, host: 198.51.100.1, snmp: {engine_id: '0x80001f8880a1a1a1a1'}}
  - {name: r2, host: 198.51.100.2}
"""
SECRETS = {"AUTH": "auth-secret-1", "PRIV": "priv-secret-1"}
V3 = "-u trapper -l authPriv -a SHA-256 -A auth-secret-1 -x AES -X priv-secret-1"


async def send(command: str) -> None:
    process = await asyncio.create_subprocess_shell(command, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode() if err else ""


def configured(tmp_path: Path) -> tuple[Inventory, AgentSettings]:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    inventory = load_inventory(tmp_path / "inventory.yaml", SECRETS)
    return inventory, AgentSettings(data_dir=tmp_path, trap_host="127.0.0.1", trap_port=free_udp_port())


def test_v3_traps_are_accepted_from_the_engine_the_inventory_names(tmp_path: Path) -> None:
    inventory, settings = configured(tmp_path)
    targets = {name: inventory.target(name) for name in ("r1", "r2")}

    async def scenario() -> tuple[Notification, TrapReceiver]:
        receiver = trap_receiver(settings, targets)
        await receiver.start()
        try:
            to = f"127.0.0.1:{receiver.bound_port}"
            # an engine the inventory does not name is not accepted, however right the keys are
            await send(f"snmptrap -v3 -e 0x80001f8880b2b2b2b2 {V3} {to} '' 1.3.6.1.6.3.1.1.5.1")
            await send(f"snmptrap -v3 -e 0x80001f8880a1a1a1a1 {V3} {to} '' 1.3.6.1.6.3.1.1.5.3 "
                       "1.3.6.1.2.1.2.2.1.1.2 i 2")
            first = await receiver.get(5)
            assert receiver.drain() == []
            return first, receiver
        finally:
            receiver.close()

    notification, receiver = asyncio.run(scenario())
    assert (notification.version, notification.security_name, notification.trap_oid) == ("v3", "trapper", mib.LINK_DOWN)
    assert receiver.stats.v3_fast_path == 1
    assert receiver.counts()["unknown_engine"] == 1  # refused before pysnmp decoded it
    assert "auth-secret-1" not in repr(receiver.__dict__)


def test_a_v3_inform_needs_no_engine_id(tmp_path: Path) -> None:
    inventory, settings = configured(tmp_path)

    async def scenario() -> Notification:
        receiver = trap_receiver(settings, {"r2": inventory.target("r2")})
        await receiver.start()
        try:
            await send(f"snmpinform -v3 {V3} 127.0.0.1:{receiver.bound_port} '' 1.3.6.1.6.3.1.1.5.4")
            return await receiver.get(5)
        finally:
            receiver.close()

    inform = asyncio.run(scenario())
    assert (inform.version, inform.inform, inform.trap_oid) == ("v3", True, mib.LINK_UP)


def test_an_inventory_without_communities_accepts_no_v1_or_v2c_notification(tmp_path: Path) -> None:
    """Its devices speak v3 only: a v2c trap is refused whatever its community (it was accepted with
    any community), and nothing of it past the community is decoded."""
    inventory, settings = configured(tmp_path)

    async def scenario() -> TrapReceiver:
        receiver = trap_receiver(settings, {"r2": inventory.target("r2")})
        await receiver.start()
        try:
            to = f"127.0.0.1:{receiver.bound_port}"
            await send(f"snmptrap -v2c -c public {to} '' 1.3.6.1.6.3.1.1.5.3")
            await send(f"snmptrap -v1 -c anything {to} 1.3.6.1.4.1.8072 198.51.100.9 2 0 ''")
            await send(f"snmpinform -v3 {V3} {to} '' 1.3.6.1.6.3.1.1.5.4")  # answered: it went through
            assert (await receiver.get(5)).version == "v3"
            assert receiver.drain() == []
            return receiver
        finally:
            receiver.close()

    receiver = asyncio.run(scenario())
    assert receiver.counts()["bad_community"] == 2
