"""Secrets hidden from configuration text before it is shown: each form the lab's devices hold (its
own rendered snmpd.conf, FRR and netconfd configurations) and the usual FRR/Cisco ones, and diffs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.redact import HIDDEN, is_secret_element, mask_config, mask_diff, mask_line
from lab.configs import DevicePaths, snmpd_conf
from lab.secrets import ensure
from lab.topology import resolve
from oss_agent.discovery.normalize import unified_diff
from oss_agent.domain.resource_order import Phase
from oss_agent.provisioning.views import resource_order_view
from oss_agent.storage.provisioning_repository import ResourceOrder

CASES = [
    ("password zebra", "password <secret hidden>", "zebra"),
    ("enable password z3bra", "enable password <secret hidden>", "z3bra"),
    ("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "enable secret 5 <secret hidden>", "$1$mERr"),
    ("username admin privilege 15 secret 9 $9$nhEm", "username admin privilege 15 secret 9 <secret hidden>", "$9$"),
    (" neighbor 198.19.255.2 password bgp pass", " neighbor 198.19.255.2 password <secret hidden>", "bgp pass"),
    (" ip ospf authentication-key 0spfK3y", " ip ospf authentication-key <secret hidden>", "0spfK3y"),
    (" ip ospf message-digest-key 1 md5 Md5K3y", " ip ospf message-digest-key 1 md5 <secret hidden>", "Md5K3y"),
    (
        " area 0 virtual-link 1.1.1.1 message-digest-key 2 md5 Vl",
        " area 0 virtual-link 1.1.1.1 message-digest-key 2 md5 <secret hidden>",
        "Vl",
    ),
    (" isis password md5 1s1sPw", " isis password md5 <secret hidden>", "1s1sPw"),
    (" area-password clear Ar3a", " area-password clear <secret hidden>", "Ar3a"),
    ("  key-string K3y Str1ng", "  key-string <secret hidden>", "K3y"),
    ("snmp-server community publ1c RO 10", "snmp-server community <secret hidden> RO 10", "publ1c"),
    ("snmp-server host 10.0.0.1 version 2c tr4p", "snmp-server host 10.0.0.1 version 2c <secret hidden>", "tr4p"),
    (
        "snmp-server user u g v3 auth sha Au7h priv aes 128 Pr1v",
        "snmp-server user u g v3 auth sha <secret hidden> priv aes 128 <secret hidden>",
        "Au7h",
    ),
    ("rocommunity R0comm default", "rocommunity <secret hidden> default", "R0comm"),
    ("rwcommunity RWcomm 10.0.0.0/8", "rwcommunity <secret hidden> 10.0.0.0/8", "RWcomm"),
    ("rocommunity6 R06 default", "rocommunity6 <secret hidden> default", "R06"),
    ("rwcommunity6 RW6 default", "rwcommunity6 <secret hidden> default", "RW6"),
    ("com2sec local 127.0.0.1 C0m2sec", "com2sec local 127.0.0.1 <secret hidden>", "C0m2sec"),
    ('createUser lab SHA "auth pass" AES "pr1v"', "createUser lab SHA <secret hidden> AES <secret hidden>", "pr1v"),
    ("createUser lab MD5 Aut4 DES Pr1v", "createUser lab MD5 <secret hidden> DES <secret hidden>", "Aut4"),
    ("createUser lab SHA-256 0nly", "createUser lab SHA-256 <secret hidden>", "0nly"),
    ("trap2sink 198.51.100.1:16200 Tr4p", "trap2sink 198.51.100.1:16200 <secret hidden>", "Tr4p"),
    ("trapsess -v 2c -c Ts 10.0.0.1", "trapsess -v 2c -c <secret hidden> 10.0.0.1", "Ts"),
    (
        "<user><name>oss</name><password>$5$hash</password></user>",
        "<user><name>oss</name><password>&lt;secret hidden&gt;</password></user>",
        "$5$hash",
    ),
    (
        '<snmp:secret xmlns:snmp="urn:x">S3</snmp:secret>',
        '<snmp:secret xmlns:snmp="urn:x">&lt;secret hidden&gt;</snmp:secret>',
        "S3",
    ),
    ("<community>c0mm</community>", "<community>&lt;secret hidden&gt;</community>", "c0mm"),
    ("<community-name>c0mm</community-name>", "<community-name>&lt;secret hidden&gt;</community-name>", "c0mm"),
    (
        "<key>K</key><auth-key>AK</auth-key>",
        "<key>&lt;secret hidden&gt;</key><auth-key>&lt;secret hidden&gt;</auth-key>",
        "AK",
    ),
]


@pytest.mark.parametrize(("line", "shown", "secret"), CASES)
def test_each_form_s_secret_is_hidden_and_the_rest_of_the_line_kept(line: str, shown: str, secret: str) -> None:
    assert mask_line(line) == shown
    assert secret not in mask_config(f"{line}\n")
    assert mask_line(shown) == shown  # masking twice changes nothing


def test_lines_without_secrets_are_left_alone() -> None:
    text = (
        "hostname pe1\ninterface eth1\n description core link (password rotation pending)\n"
        " ip ospf authentication message-digest\n key 1\n neighbor 198.19.255.2 remote-as 65000\n"
        "rouser _internal noauth\ncreateUser _internal\n<interface><name>eth1</name></interface>\n"
    )
    assert mask_config(text) == text


def test_the_lab_s_own_snmpd_conf_shows_none_of_its_secrets(tmp_path: Path) -> None:
    topology = resolve(None, "198.51.100.0/24", "198.18.0.0/15", "oss")
    secrets = ensure(tmp_path / "secrets", "oss")
    text = snmpd_conf(topology.device("pe1"), secrets, DevicePaths(tmp_path / "pe1"), "198.51.100.1", 16200)
    shown = mask_config(text)
    for value in (secrets.snmp_ro, secrets.snmp_rw, secrets.v3_auth, secrets.v3_priv):
        assert value in text and value not in shown
    assert f"createUser {secrets.v3_user} SHA {HIDDEN} AES {HIDDEN}" in shown
    assert "trap2sink 198.51.100.1:16200 <secret hidden>" in shown and "agentXPerms 0666 0755" in shown


def test_a_netconf_leaf_over_several_lines_is_hidden() -> None:
    text = "<system>\n  <password>\n    long$secret\n  </password>\n</system>\n"
    assert "long$secret" not in mask_config(text)


def test_a_diff_changing_only_the_community_still_shows_the_change() -> None:
    old = "sysName pe1\nrocommunity 0ldC0mm default\nrwcommunity Wr1te default\n"
    new = old.replace("0ldC0mm", "n3wC0mm")
    shown = mask_diff(unified_diff(old, new, "pe1@1", "pe1@2"))
    assert "-rocommunity <secret hidden> default" in shown and "+rocommunity <secret hidden> default" in shown
    assert " rwcommunity <secret hidden> default" in shown  # context lines are masked too
    assert "--- pe1@1" in shown and "+++ pe1@2" in shown
    assert not {"0ldC0mm", "n3wC0mm", "Wr1te"} & set(shown.split())


IETF_SNMP = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <snmp xmlns="urn:ietf:params:xml:ns:yang:ietf-snmp">
    <community>
      <index>ro</index>
      <text-name>Publ1cC0mm</text-name>
      <security-name>ro-view</security-name>
    </community>
    <community><index>bin</index><binary-name>QmluQzBtbQ==</binary-name></community>
    <usm>
      <local>
        <user>
          <name>lab</name>
          <auth><sha><key>aa:bb:cc:dd</key></sha></auth>
          <priv><aes><key>11:22:33:44</key></aes></priv>
        </user>
      </local>
    </usm>
  </snmp>
  <system xmlns="urn:ietf:params:xml:ns:yang:ietf-system">
    <authentication><user><name>oss</name><password><![CDATA[$5$cd<ata]]></password></user></authentication>
  </system>
  <key-chains xmlns="urn:ietf:params:xml:ns:yang:ietf-key-chain">
    <key-chain><name>ospf</name><key><key-id>1</key-id>
      <key-string><keystring>Ch41nK3y</keystring></key-string>
    </key></key-chain>
  </key-chains>
</config>
"""
NESTED_SECRETS = ("Publ1cC0mm", "QmluQzBtbQ==", "aa:bb:cc:dd", "11:22:33:44", "$5$cd<ata", "Ch41nK3y")


def test_secrets_in_nested_netconf_leaves_are_hidden_and_the_document_stays_xml() -> None:
    shown = mask_config(IETF_SNMP)
    assert not [secret for secret in NESTED_SECRETS if secret in shown]
    root = etree.fromstring(shown.encode())  # well-formed, or this raises
    snmp = "{urn:ietf:params:xml:ns:yang:ietf-snmp}"
    assert [e.text for e in root.iter(f"{snmp}text-name")] == [HIDDEN]
    assert [e.text for e in root.iter(f"{snmp}security-name")] == ["ro-view"]  # not a secret: kept
    assert [e.text for e in root.iter(f"{snmp}name")] == ["lab"]


def test_a_diff_of_nested_netconf_leaves_shows_no_secret() -> None:
    old = IETF_SNMP
    new = old.replace("Publ1cC0mm", "N3wC0mm").replace("Ch41nK3y", "N3wK3y")
    shown = mask_diff(unified_diff(old, new, "pe1@1", "pe1@2"))
    assert "+      <text-name>&lt;secret hidden&gt;</text-name>" in shown
    assert not [secret for secret in (*NESTED_SECRETS, "N3wC0mm", "N3wK3y") if secret in shown]


def test_netconf_leaf_names_holding_secrets() -> None:
    assert is_secret_element("{urn:ietf:params:xml:ns:yang:ietf-system}password")
    assert is_secret_element("auth-key") and is_secret_element("community-name")
    assert is_secret_element("{urn:ietf:params:xml:ns:yang:ietf-snmp}text-name")
    assert is_secret_element("binary-name") and is_secret_element("keystring")
    assert is_secret_element("cleartext-private-key") and not is_secret_element("public-key")
    assert not is_secret_element("{urn:ietf:params:xml:ns:yang:ietf-interfaces}description")
    assert not is_secret_element("name")


def test_a_drift_report_names_missing_items_without_their_secrets() -> None:
    from oss_agent.provisioning.operations import _show

    bgp = (("router bgp 65000",), "neighbor 198.19.255.2 password Bgp5ecret")
    leaf = (("{urn:ietf:params:xml:ns:yang:ietf-system}system", "{urn:x}password"), "Netc0nfPw")
    assert _show(bgp) == "router bgp 65000 > neighbor 198.19.255.2 password <secret hidden>"
    assert _show(leaf) == "system/password = <secret hidden>"
    assert _show((("{urn:x}interface", "{urn:x}description"), "uplink")) == "interface/description = uplink"


def test_a_resource_orders_stored_error_is_shown_without_the_secret_it_quotes() -> None:
    """An error stored before adapter errors were masked where built quotes the refused line as the
    device echoed it: the view masks it again (and leaves an error without a secret as it is)."""
    refused = "pe1 refused the change: % Unknown command: neighbor 198.19.255.2 password S3cretBgp"
    shown = resource_order_view(ResourceOrder("ro1", "o1", "pe1", "frr", Phase.ROLLED_BACK, [], error=refused))
    assert "S3cretBgp" not in shown["error"]
    assert shown["error"] == f"pe1 refused the change: % Unknown command: neighbor 198.19.255.2 password {HIDDEN}"
    plain = resource_order_view(ResourceOrder("ro2", "o1", "pe1", "frr", Phase.ROLLED_BACK, [], error="timed out"))
    assert plain["error"] == "timed out"
