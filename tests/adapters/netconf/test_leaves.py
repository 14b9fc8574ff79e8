"""NETCONF configurations as item sets: reading server replies and templates, and the edit between two."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.netconf import leaves

IF = leaves.IF_NS
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
ENTRY = (f"{{{IF}}}interfaces", f"{{{IF}}}interface[name=eth3]")
REPLY = f"""<?xml version="1.0" encoding="UTF-8"?>
<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data>
  <interfaces xmlns="{IF}"><interface><name>eth3</name><description>svc &amp; A</description>
  <type xmlns:x="{IANA}">x:ethernetCsmacd</type></interface></interfaces>
  <nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">
  </nacm></data></rpc-reply>"""
TEMPLATE = f"""<interfaces xmlns="{IF}"><interface><name>eth3</name><description>svc &amp; A</description>
<type xmlns:ianaift="{IANA}">ianaift:ethernetCsmacd</type></interface></interfaces>"""


def test_a_reply_and_a_template_give_the_same_items_whatever_the_prefixes() -> None:
    from_reply, from_template = leaves.items(REPLY), leaves.items(TEMPLATE)
    assert (
        from_reply
        == from_template
        == {
            ENTRY: None,
            (*ENTRY, f"{{{IF}}}description"): "svc & A",
            (*ENTRY, f"{{{IF}}}type"): f"{{{IANA}}}ethernetCsmacd",
        }
    )


def test_empty_containers_are_no_items() -> None:
    assert leaves.items(f'<data xmlns="{leaves.NC_NS}"><interfaces xmlns="{IF}"/><nacm/></data>') == {}


def test_edit_deletes_entries_and_removes_leaves_and_sets_values() -> None:
    current = leaves.items(REPLY)
    target = {ENTRY: None, (*ENTRY, f"{{{IF}}}type"): f"{{{IANA}}}ethernetCsmacd"}
    remove, add = leaves.diff(current, target)
    assert remove == {(*ENTRY, f"{{{IF}}}description")} and add == {}
    xml = etree.fromstring(leaves.edit(remove, add).encode())
    gone = xml.find(f".//{{{IF}}}description")
    assert gone.get(f"{{{leaves.NC_NS}}}operation") == "remove"
    whole = etree.fromstring(leaves.edit(set(current), {}).encode())
    entry = whole.find(f".//{{{IF}}}interface")
    assert entry.get(f"{{{leaves.NC_NS}}}operation") == "delete" and len(entry) == 1  # the key only
    built = leaves.edit(set(), leaves.items(TEMPLATE))
    assert leaves.items(built) == leaves.items(TEMPLATE)  # what is sent reads back as the items


def test_entities_and_bad_xml_are_refused() -> None:
    with pytest.raises(leaves.XmlConfigError):
        leaves.items("<a><b></a>")
    bomb = '<!DOCTYPE x [<!ENTITY e "boom">]><interfaces xmlns="x"><d>&e;</d></interfaces>'
    with pytest.raises(leaves.XmlConfigError, match="entity declaration"):
        leaves.items(bomb)
