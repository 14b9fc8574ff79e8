"""containerlab topology data -> the agent's inventory (pure: no containerlab, no root)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lab import LabError
from lab.containerlab import to_inventory

DATA = Path(__file__).parent / "data" / "clab-topology-data.json"
CLAB = Path(__file__).parents[2] / "lab" / "containerlab" / "oss-lab.clab.yml"


def test_recorded_topology_data_becomes_the_agent_inventory(tmp_path: Path) -> None:
    inventory = to_inventory(json.loads(DATA.read_text()), tmp_path / "secrets")
    names = [d["name"] for d in inventory["devices"]]
    assert names == ["pe1", "pe2", "p1", "ce1", "ce2"]
    pe1 = inventory["devices"][0]
    assert pe1 == {
        "name": "pe1",
        "host": "172.20.20.11",
        "platform": "frr",
        "site": "pop1",
        "groups": ["pe"],
        "tags": ["lab", "containerlab"],
    }
    ce1 = inventory["devices"][3]
    assert ce1["role"] == "cpe" and ce1["platform"] == "linux"
    assert ce1["ssh"] is None and ce1["netconf"] is None and ce1["snmp"] is None
    assert inventory["devices"][1]["ssh"] is None  # pe2 is labelled without sshd
    assert inventory["groups"] == {"pe": {"role": "pe"}, "p": {"role": "p"}}
    snmp = inventory["defaults"]["snmp"]
    assert snmp["community"] == {"file": str(tmp_path / "secrets" / "snmp_ro")}


def test_clab_file_matches_the_namespace_topology() -> None:
    clab = yaml.safe_load(CLAB.read_text())
    ours = yaml.safe_load((Path(__file__).parents[2] / "lab" / "topologies" / "default.yaml").read_text())
    assert set(clab["topology"]["nodes"]) == {d["name"] for d in ours["devices"]}
    clab_links = {frozenset(link["endpoints"]) for link in clab["topology"]["links"]}
    assert clab_links == {frozenset(link) for link in ours["links"]}
    for node in clab["topology"]["nodes"].values():
        assert node["image"] == "quay.io/frrouting/frr:8.4.1"


@pytest.mark.parametrize("broken", [{}, {"nodes": {}}, {"nodes": {"x": {"labels": {}}}}])
def test_unusable_data_is_a_lab_error(broken: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(LabError):
        to_inventory(broken, tmp_path)
