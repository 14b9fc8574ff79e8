"""``oss-agent order``, ``service`` and ``pool`` as a user runs them (a real process), without devices:
a refused order is shown with every field at fault and kept; lists and shows in tables and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")
INVENTORY = "devices:\n  - {name: ce1, host: 127.0.0.21, platform: linux, role: cpe, site: customer1, ssh: null}\n"


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")}
    env.update(
        {"OSS_AGENT_DATA_DIR": str(data), "OSS_AGENT_INVENTORY_FILE": str(data / "inventory.yaml"), "COLUMNS": "250"}
    )
    return subprocess.run([OSS_AGENT, *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_refused_order_is_shown_field_by_field_kept_and_listed(tmp_path: Path) -> None:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    order = tmp_path / "order.yaml"
    order.write_text(
        yaml.safe_dump(
            {
                "externalId": "crm-9",
                "serviceOrderItem": [
                    {
                        "id": "1",
                        "action": "add",
                        "service": {
                            "serviceSpecification": {"id": "internet-access"},
                            "serviceCharacteristic": [
                                {"name": "customer", "value": "ACME\nend"},
                                {"name": "site", "value": "customer1"},
                                {"name": "lan", "value": "10.0.0.0/24"},
                                {"name": "bandwidthMbps", "value": 5000},
                            ],
                        },
                    }
                ],
            }
        )
    )
    assert cli(tmp_path, "db", "upgrade").returncode == 0  # an order is not where an agent starts
    dry = cli(tmp_path, "order", "submit", str(order), "--dry-run", "--format", "json")
    assert dry.returncode == 1
    problems = {p["field"]: p["message"] for p in json.loads(dry.stdout)["problems"]}
    assert "injection" in problems["serviceOrderItem[0].service.serviceCharacteristic[customer].value"]
    assert json.loads(cli(tmp_path, "order", "list", "--format", "json").stdout) == []  # a dry run stores nothing

    refused = cli(tmp_path, "order", "submit", str(order))
    assert refused.returncode == 1 and "rejected" in refused.stdout
    assert "serviceCharacteristic[bandwidthMbps].value" in refused.stdout and "between 1 and 1000" in refused.stdout
    [listed] = json.loads(cli(tmp_path, "order", "list", "--state", "rejected", "--format", "json").stdout)
    assert listed["state"] == "rejected" and listed["external_id"] is None  # a refused order holds no externalId
    typo = cli(tmp_path, "order", "list", "--state", "rejectd")
    assert typo.returncode == 2 and "--state" in typo.stderr and typo.stdout == "", typo.stderr  # not "no orders"
    shown = json.loads(cli(tmp_path, "order", "show", listed["id"], "--format", "json").stdout)
    assert {e["referenceError"] for e in shown["errors"]} >= {
        "serviceOrderItem[0].service.serviceCharacteristic[customer].value",
        "serviceOrderItem[0].service.serviceCharacteristic[bandwidthMbps].value",
    }
    missing = cli(tmp_path, "order", "show", "nope")
    assert missing.returncode == 1 and "no service order 'nope'" in missing.stderr
    cancelled = cli(tmp_path, "order", "cancel", listed["id"], "--format", "json")
    assert cancelled.returncode == 1 and json.loads(cancelled.stdout)["state"] == "terminatedWithError"


def test_pools_and_services_list_in_tables_and_json(tmp_path: Path) -> None:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    [pool] = json.loads(cli(tmp_path, "pool", "list", "--format", "json").stdout)
    assert (pool["pool"], pool["capacity"], pool["used"], pool["allocations"]) == ("access-link", 256, 0, [])
    assert "access-link" in cli(tmp_path, "pool", "list").stdout
    assert json.loads(cli(tmp_path, "service", "list", "--format", "json").stdout) == []
    assert "Services (0)" in cli(tmp_path, "service", "list").stdout
    assert cli(tmp_path, "service", "show", "ghost").returncode == 1
