"""The catalog as shipped loads and renders; a broken catalog is refused with file and line; a TMF641
request is read with every problem named by field; each configuration syntax gives the native change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from oss_agent.domain.catalog import UsageSpec, ValueType
from oss_agent.errors import ConfigError
from oss_agent.provisioning.catalog import TemplateRenderError, load_catalog
from oss_agent.provisioning.configmodels import FRR, LINUX, NETCONF
from oss_agent.provisioning.request import read_order

REPO = Path(__file__).resolve().parents[3]
CATALOG = REPO / "config" / "services"
SITE = {
    "name": "a",
    "site": "customer1",
    "lan": "198.18.2.0/24",
    "pe_port": "eth3",
    "ce_port": "eth1",
    "link": {"first": "198.19.128.0", "second": "198.19.128.1", "prefixlen": 31},
}


def context(**extra: Any) -> dict[str, Any]:
    return {
        "site": SITE,
        "peers": [SITE | {"lan": "198.18.3.0/24"}],
        "active": True,
        "network": {"bgp_asn": 65000},
        "bandwidthMbps": 10,
        "constants": {"latency_ms": 50},
        "customer": "ACME",
        "service": {"id": "s1"},
    } | extra


def test_the_shipped_catalog_loads_and_renders() -> None:
    catalog = load_catalog(CATALOG)
    assert set(catalog.specs) == {"site-interconnect", "internet-access"}
    spec = catalog.spec("site-interconnect")
    assert [c.name for c in spec.characteristics if c.value_type is ValueType.SITE] == ["siteA", "siteB"]
    assert {e.name for e in spec.endpoints} == {"a", "b"} and catalog.pools["access-link"].capacity == 256
    frr = catalog.render("site-interconnect/pe.frr.j2", context())
    assert "ip route 198.18.2.0/24 198.19.128.1" in frr and "network 198.18.2.0/24" in frr
    assert "network" not in catalog.render("site-interconnect/pe.frr.j2", context(active=False))  # suspended
    xml = catalog.render("site-interconnect/pe.netconf.xml.j2", context(customer="A & B"))
    assert "A &amp; B" in xml  # XML templates escape what they print
    with pytest.raises(TemplateRenderError, match="line break"):
        catalog.render("site-interconnect/pe.frr.j2", context(site=SITE | {"lan": "10.0.0.0/8\nend"}))
    with pytest.raises(TemplateRenderError, match="undefined"):
        catalog.render("site-interconnect/ce.linux.j2", {"site": SITE})


def test_a_broken_catalog_is_refused_with_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(CATALOG, tmp_path / "c")
    spec = tmp_path / "c" / "site-interconnect.yaml"
    text = spec.read_text().replace("pools:\n  link: access-link", "pools:\n  link: nowhere")
    spec.write_text(text.replace("ce: {linux: site-interconnect/ce.linux.j2}", "ce: {linux: missing.j2}"))
    (tmp_path / "c" / "templates" / "internet-access" / "pe.frr.j2").write_text("{% if %}\n")
    with pytest.raises(ConfigError) as caught:
        load_catalog(tmp_path / "c")
    shown = [str(p) for p in caught.value.problems]
    assert any("site-interconnect.yaml:" in p and "unknown pool 'nowhere'" in p for p in shown), shown
    assert any("templates.ce.linux" in p and "missing.j2 not found" in p for p in shown), shown
    assert any("internet-access/pe.frr.j2 line 1" in p for p in shown), shown


def test_each_specification_says_where_its_usage_is_measured(tmp_path: Path) -> None:
    shipped = load_catalog(CATALOG)
    assert shipped.spec("internet-access").usage == UsageSpec("pe", rate_samples=True)
    assert shipped.spec("site-interconnect").usage == UsageSpec("pe", rate_samples=False)
    shutil.copytree(CATALOG, tmp_path / "c")
    spec = tmp_path / "c" / "internet-access.yaml"
    text = spec.read_text().replace("  measure: pe ", "  measure: p1 ")
    text = text.replace("rateSamples: true", "rateSamples: yes please")
    spec.write_text(text.replace("usage:", "usage:\n  every: 5"))
    with pytest.raises(ConfigError) as caught:
        load_catalog(tmp_path / "c")
    shown = [str(p) for p in caught.value.problems]
    assert any("internet-access.yaml:" in p and "usage.measure" in p and "'p1'" in p for p in shown), shown
    assert any("usage.rateSamples" in p and "true or false" in p for p in shown), shown
    assert any("usage.every" in p and "unknown key" in p for p in shown), shown


def test_a_request_is_read_with_every_problem_named() -> None:
    good = read_order(
        {
            "externalId": "crm-1",
            "requestedStartDate": "2030-01-01T10:00:00Z",
            "relatedParty": [{"id": "c1", "@referredType": "Organization"}],
            "serviceOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "service": {
                        "serviceSpecification": {"id": "internet-access"},
                        "serviceCharacteristic": [{"name": "lan", "value": "10.0.0.0/24"}],
                    },
                },
                {
                    "id": "2",
                    "action": "modify",
                    "service": {"id": "svc-1", "state": "inactive"},
                    "serviceOrderItemRelationship": [{"relationshipType": "dependsOn", "orderItem": {"itemId": "1"}}],
                },
                {
                    "id": "3",
                    "action": "delete",
                    "service": {"id": "svc-2"},
                    "orderItemRelationship": [{"id": "2", "relationshipType": "dependsOn"}],
                },
            ],
        }
    )
    assert good.problems == () and good.external_id == "crm-1" and good.requested_start is not None
    assert [i.depends_on for i in good.items] == [(), ("1",), ("2",)] and good.items[1].target_state == "inactive"
    bad = read_order(
        {
            "externalId": "a b",
            "requestedStartDate": "tomorrow",
            "serviceOrderItem": [
                {"id": "1", "action": "replace", "service": {}},
                {
                    "id": "2",
                    "action": "add",
                    "service": {
                        "serviceSpecification": {"id": "x"},
                        "serviceCharacteristic": [{"name": "n", "value": [1]}, {"value": 2}],
                    },
                },
                {"id": "3", "action": "delete", "service": {"state": "paused"}},
            ],
        }
    )
    fields = {p.field for p in bad.problems}
    assert fields == {
        "externalId",
        "requestedStartDate",
        "serviceOrderItem[0].action",
        "serviceOrderItem[1].service.serviceCharacteristic[n].value",
        "serviceOrderItem[1].service.serviceCharacteristic[1]",
        "serviceOrderItem[2].service.id",
        "serviceOrderItem[2].service.state",
    }
    assert {p.field for p in read_order([1, 2]).problems} == {"serviceOrder", "serviceOrderItem"}


RUNNING_FRR = """interface eth3
 description customer access
exit
router bgp 65000
 neighbor 198.19.255.2 remote-as 65000
 address-family ipv4 unicast
  neighbor 198.19.255.2 activate
 exit-address-family
exit
"""


def test_frr_items_and_change() -> None:
    rendering = FRR.items(
        "interface eth3\n ip address 10.0.0.0/31\nexit\nrouter bgp 65000\n address-family ipv4 unicast\n"
        "  network 10.1.0.0/24\n exit-address-family\nexit\n"
    )
    change = FRR.change(RUNNING_FRR, frozenset(), rendering)
    assert change.lines == (
        "interface eth3",
        "ip address 10.0.0.0/31",
        "exit",
        "router bgp 65000",
        "address-family ipv4 unicast",
        "network 10.1.0.0/24",
        "exit",
        "exit",
    )
    undo = FRR.change(change.target, rendering, frozenset())
    assert "no network 10.1.0.0/24" in undo.lines and FRR.same(undo.target, RUNNING_FRR)
    assert FRR.decode(FRR.encode(rendering)) == rendering


def test_linux_and_netconf_items_and_change() -> None:
    running = "ip address add 10.9.9.1/24 dev lan0\n"
    wanted = LINUX.items("ip address add 10.0.0.1/31 dev eth1\nip route add default via 10.0.0.0 dev eth1\n")
    change = LINUX.change(running, frozenset(), wanted)
    assert change.lines == ("ip address add 10.0.0.1/31 dev eth1", "ip route add default via 10.0.0.0 dev eth1")
    assert LINUX.change(change.target, wanted, frozenset()).lines[0] == "ip route del default via 10.0.0.0 dev eth1"
    base = (
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">'
        "<interface><name>eth3</name></interface></interfaces>"
    )
    described = NETCONF.items(base.replace("</name>", "</name><description>svc</description>"))
    added = NETCONF.change(base, frozenset(), described - NETCONF.items(base))
    assert added.xml is not None and "<ns0:description>svc</ns0:description>" in added.xml
    removed = NETCONF.change(
        base.replace("</name>", "</name><description>svc</description>"), described - NETCONF.items(base), frozenset()
    )
    assert removed.xml is not None and 'operation="remove"' in removed.xml and "delete" not in removed.xml
    assert NETCONF.same(removed.target, base)


@pytest.mark.parametrize("name", ["site-interconnect", "internet-access"])
def test_the_example_orders_read_clean_and_name_a_catalog_specification(name: str) -> None:
    import yaml

    command = read_order(yaml.safe_load((CATALOG / "examples" / f"{name}.yaml").read_text()))
    assert command.problems == () and command.items[0].service_spec == name
    spec = load_catalog(CATALOG).spec(name)
    values, problems = spec.values(dict(command.items[0].characteristics), "x")
    assert problems == [] and values["bandwidthMbps"] in (10, 20)
