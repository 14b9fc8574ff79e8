"""``oss-bss bridge reconcile`` and ``oss-bss bridge status`` as an operator runs them, on a BSS
database the bridge has worked on and the fake OSS served over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bss_bridge.entrypoints.cli import main

from .conftest import World
from .fake_oss import served
from .test_orders import active


def test_reconcile_reports_then_repairs_and_status_shows_the_repair(
    world: World, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, sub, service = active(world)
    world.oss.services[service]["state"] = "inactive"  # switched off behind the BSS's back
    config = tmp_path / "bridge.yaml"

    def cli(*args: str) -> tuple[int, Any]:
        status = main(["--config", str(config), "bridge", *args, "-f", "json"])
        out = capsys.readouterr().out
        return status, json.loads(out) if out.strip() else None

    with served(world.oss) as url:
        config.write_text(f"data_dir: {tmp_path}\ndatabase_url: sqlite:///{tmp_path / 'bss.db'}\noss_url: {url}\n")
        status, report = cli("reconcile")
        assert status == 0 and report == {
            "divergences": [
                {"kind": "state", "product": sub, "service": service, "bss": "active: active", "oss": "inactive"}
            ],
            "repairs": [],
        }
        assert len(world.oss.orders) == 1  # a report orders nothing
        status, report = cli("reconcile", "--repair")
        assert status == 0 and report["repairs"] == [f"product {sub}: service {service} to be made active"]
        (fix,) = [o for o in world.oss.orders.values() if o["externalId"] == f"{sub}:state:1"]
        assert fix["serviceOrderItem"][0]["service"] == {"id": service, "state": "active"}
        status, shown = cli("status")
    assert status == 0
    assert [(r["externalId"], r["kind"], r["state"]) for r in shown["requests"]][-1] == (
        f"{sub}:state:1",
        "state",
        "sent",
    )
    assert [(link["product"], link["service"]) for link in shown["serviceLinks"]] == [(sub, service)]


def test_reconcile_without_an_oss_says_so(clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(f"data_dir: {tmp_path}\noss_url: http://127.0.0.1:9\n")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert main(["--config", str(config), "bridge", "reconcile"]) == 1
    err = capsys.readouterr().err
    assert "the OSS at http://127.0.0.1:9 did not answer" in err and "Traceback" not in err


def test_reconcile_with_no_oss_configured_names_the_setting(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(f"data_dir: {tmp_path}\noss_url: null\n")  # a BSS on its own
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert main(["--config", str(config), "bridge", "reconcile"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: oss_url: the bridge needs the OSS's API") and "unexpected" not in err, err


def test_reconcile_refuses_a_missing_database_and_asks_the_oss_for_nothing(
    world: World, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On an empty database every OSS service is an orphan, which --repair deletes: a mistyped URL
    must not be one."""
    active(world)
    ordered = len(world.oss.orders)
    typo = tmp_path / "bsss.db"
    config = tmp_path / "bridge.yaml"
    with served(world.oss) as url:
        config.write_text(f"data_dir: {tmp_path}\ndatabase_url: sqlite:///{typo}\noss_url: {url}\n")
        status = main(["--config", str(config), "bridge", "reconcile", "--repair"])
    out, err = capsys.readouterr()
    assert status == 1 and out == "", out
    assert err.startswith(f"error: the BSS database sqlite:///{typo} does not exist: ") and "db upgrade" in err
    assert len(world.oss.orders) == ordered and not typo.exists()
