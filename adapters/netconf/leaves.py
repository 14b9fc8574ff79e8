"""NETCONF configuration as a set of items, and the ``<edit-config>`` that turns one set into another.

An item is a path from the datastore's root: each step an element in Clark notation, a list entry
with its key (``{urn:...ietf-interfaces}interface[name=eth3]``). A leaf item has its text as value
(identity values resolved to ``{namespace}name``, so the prefix a server picks does not matter); a
list-entry item has the value ``None`` and means "this entry exists". Empty containers are no
items: a server that keeps ``<interfaces/>`` after its last entry went compares equal to one that
does not. Two configurations are equal when their item sets are; the change between them is a
set difference, written as one ``<config>`` with ``nc:operation="delete"`` on entries that go and
``nc:operation="remove"`` on leaves that go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from lxml import etree

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
SYS_NS = "urn:ietf:params:xml:ns:yang:ietf-system"
# The key leaf of the lists we know; any other element with a ``name`` child is taken as a list keyed by it.
LIST_KEYS: dict[str, str] = {
    f"{{{IF_NS}}}interface": "name",
    f"{{{SYS_NS}}}server": "name",
    f"{{{SYS_NS}}}user": "name",
    f"{{{SYS_NS}}}authorized-key": "name",
}
_ENTRY = re.compile(r"^(\{[^}]*\}[^\[]+)\[([^=\]]+)=(.*)\]$")

Path = tuple[str, ...]
Items = dict[Path, str | None]


class XmlConfigError(ValueError):
    """Text that is not a configuration we can read (the message says why)."""


def _root(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    stripped = re.sub(r"^<\?xml[^>]*\?>", "", text.strip()).strip()
    if "<!doctype" in stripped.lower() or "<!entity" in stripped.lower():
        raise XmlConfigError("a document type or entity declaration is not accepted in a configuration")
    try:
        root = etree.fromstring(stripped.encode(), parser)
    except etree.XMLSyntaxError:
        root = None  # several top-level elements: a fragment, wrapped below
    if root is not None:
        for tag in (f"{{{NC_NS}}}data", f"{{{NC_NS}}}config"):
            if root.tag == tag:
                return root
            found = root.find(f".//{tag}")
            if found is not None:
                return found
    try:
        return etree.fromstring(f'<config xmlns="{NC_NS}">{stripped}</config>'.encode(), parser)
    except etree.XMLSyntaxError as exc:
        raise XmlConfigError(f"not well-formed XML: {exc}") from exc


def _key_of(element: etree._Element) -> str | None:
    key = LIST_KEYS.get(str(element.tag))
    if key is None and element.find(f"{{{etree.QName(element).namespace}}}name") is not None and len(element) > 1:
        key = "name"
    return key


def _value(element: etree._Element) -> str:
    text = (element.text or "").strip()
    prefix, _, local = text.partition(":")
    if local and re.fullmatch(r"[A-Za-z_][\w.-]*", prefix) and prefix in (element.nsmap or {}):
        return f"{{{element.nsmap[prefix]}}}{local}"
    return text


def items(text: str) -> Items:
    """The items of a configuration (a ``<data>``/``<config>`` document, or a bare fragment in one)."""
    out: Items = {}

    def walk(element: etree._Element, path: Path) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            key = _key_of(child)
            if key is not None:
                key_element = child.find(f"{{{etree.QName(child).namespace}}}{key}")
                if key_element is None:
                    raise XmlConfigError(f"list entry {child.tag} has no key leaf {key!r}")
                step = f"{child.tag}[{key}={(key_element.text or '').strip()}]"
                out[(*path, step)] = None
                walk(child, (*path, step))
            elif len(child):
                walk(child, (*path, str(child.tag)))
            elif not (child.text or "").strip():
                continue  # an empty container (or an empty leaf, which no template of ours sets)
            elif not path or not _is_key(path[-1], child):
                out[(*path, str(child.tag))] = _value(child)

    def _is_key(step: str, child: etree._Element) -> bool:
        match = _ENTRY.match(step)
        return match is not None and etree.QName(child).localname == match.group(2)

    walk(_root(text), ())
    return out


def _split(step: str) -> tuple[str, str | None, str | None]:
    match = _ENTRY.match(step)
    if match is None:
        return step, None, None
    return match.group(1), match.group(2), match.group(3)


def _child(parent: etree._Element, step: str) -> etree._Element:
    tag, key, key_value = _split(step)
    for existing in parent:
        if existing.tag != tag:
            continue
        if key is None:
            return existing
        key_element = existing.find(f"{{{etree.QName(tag).namespace}}}{key}")
        if key_element is not None and key_element.text == key_value:
            return existing
    element = etree.SubElement(parent, tag)
    if key is not None:
        etree.SubElement(element, f"{{{etree.QName(tag).namespace}}}{key}").text = key_value
    return element


def _set_value(element: etree._Element, value: str) -> None:
    match = re.fullmatch(r"\{([^}]*)\}(.+)", value)
    if match is None:
        element.text = value
        return
    # an identity: say it with a prefix declared right here
    holder = etree.SubElement(element.getparent(), element.tag, nsmap={"id0": match.group(1)})
    holder.text = f"id0:{match.group(2)}"
    element.getparent().replace(element, holder)


def edit(remove: Iterable[Path], add: Mapping[Path, str | None]) -> str:
    """One ``<config>`` for ``<edit-config>``: the items of ``remove`` go, those of ``add`` are set."""
    root = etree.Element(f"{{{NC_NS}}}config", nsmap={"nc": NC_NS})
    gone = set(remove)
    for path in sorted(gone, key=len):
        if any(path[:i] in gone and path[:i] != path for i in range(1, len(path))):
            continue  # inside an entry that goes as a whole
        parent = root
        for step in path[:-1]:
            parent = _child(parent, step)
        target = _child(parent, path[-1])
        operation = "delete" if _split(path[-1])[1] is not None else "remove"
        target.set(f"{{{NC_NS}}}operation", operation)
    for path, value in sorted(add.items()):
        element = root
        for step in path:
            element = _child(element, step)
        if value is not None:
            _set_value(element, value)
    return str(etree.tostring(root, encoding="unicode"))


def diff(current: Items, target: Items) -> tuple[set[Path], dict[Path, str | None]]:
    """What goes (in ``current`` only, or with another value) and what is set, from ``current`` to ``target``."""
    remove = {path for path, value in current.items() if path not in target}
    add = {path: value for path, value in target.items() if current.get(path, ...) != value}
    return remove, add


def render(config: Items) -> str:
    """The items as a readable list, one ``path = value`` per line (for diffs people read)."""
    lines = []
    for path, value in sorted(config.items()):
        shown = "/".join(_short(step) for step in path)
        lines.append(shown if value is None else f"{shown} = {value}")
    return "\n".join(lines) + ("\n" if lines else "")


def _short(step: str) -> str:
    return re.sub(r"\{[^}]*\}", "", step)
