"""Configuration text with its secrets hidden, for showing it to a person or a client.

Stored configurations hold what the device holds: BGP and OSPF keys, SNMP communities and v3 user
passphrases, NETCONF ``<password>`` leaves. Backups, drift, restore and rollback need that real text;
whatever *shows* a configuration, a change or a diff passes it through here first, as RANCID's
FILTER_PWDS and Oxidized's ``remove_secret`` do. Each secret value becomes :data:`HIDDEN` and the rest
of the line stays, so a line whose only change is its secret still shows as changed in a diff (diff
the real texts, then mask each shown line with :func:`mask_diff`).

A device's error message can quote the configuration line it refused (FRR's ``% Unknown command:
neighbor 192.0.2.1 password x``, an rpc-error echoing a leaf): :func:`mask_message` hides those, and
the adapters' error tree (:mod:`adapters.errors`) passes every message through it when the error is
built, so no log, stored resource order, API answer or printed exception carries the secret.

The patterns cover what this project's devices hold (the lab's FRR, net-snmp and netconfd
configurations) and the usual FRR/Cisco forms. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HIDDEN = "<secret hidden>"
# In XML the marker is escaped, so a masked NETCONF document is still well-formed (it reads as HIDDEN).
HIDDEN_XML = "&lt;secret hidden&gt;"

# A secret word; the marker itself counts as one, so masking twice changes nothing.
_S = rf"(?:{re.escape(HIDDEN)}|\S+)"
_WORD = rf"(?:{re.escape(HIDDEN)}|\"[^\"]*\"|'[^']*'|\S+)"  # net-snmp quotes a passphrase that holds blanks

# The local names of XML leaves whose text is a secret (a namespace prefix is allowed). Some secrets
# sit in a leaf of a generic name under a container that says what it is: ietf-snmp's community name
# (``<community><text-name>`` or ``<binary-name>``), ietf-key-chain's key (``<key-string><keystring>``
# or ``<hexadecimal-string>``). In the models a NETCONF device holds these names appear only there, so
# they are hidden wherever they appear: a line of a diff does not show its parent. ietf-snmp's USM keys
# (``<usm>…<auth><sha><key>``) and ietf-system's ``<authentication><user><password>`` are caught by
# their own leaf names, ietf-crypto-types' ``<cleartext-key>``/``<cleartext-private-key>`` likewise.
_SECRET_ELEMENTS = (
    r"[\w.-]*(?:password|passwd|passphrase|secret)",
    r"community(?:-name)?",
    r"(?:text|binary)-name",
    r"(?:cleartext-(?:private-)?|auth|authentication|priv|private|md5|pre-shared|shared)?-?key",
    r"key-?string",
    r"hexadecimal-string",
    r"psk",
)
_SECRET_ELEMENT = re.compile(rf"(?:{'|'.join(_SECRET_ELEMENTS)})", re.IGNORECASE)
_XML_LEAF = re.compile(
    rf"<(?P<tag>(?:[\w.-]+:)?(?:{'|'.join(_SECRET_ELEMENTS)}))(?P<attrs>\s[^>]*)?>(?P<value>[^<]+|<!\[CDATA\[.*?\]\]>)</(?P=tag)\s*>",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class _Rule:
    """A line ``pattern`` whose named groups ``s1``, ``s2``... are secrets. With ``when``, the pattern is
    applied to every match in a line that ``when`` matches (options in any order: ``trapsess -c X -A Y``)."""

    pattern: re.Pattern[str]
    when: re.Pattern[str] | None = None


def _rule(pattern: str, when: str | None = None) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), None if when is None else re.compile(when, re.IGNORECASE))


_RULES: tuple[_Rule, ...] = (
    # FRR / Cisco IOS
    _rule(rf"^\s*(?:enable\s+)?(?:password|secret)\s+(?:level\s+\d+\s+)?(?:\d+\s+)?(?P<s1>{_S})"),
    _rule(rf"^\s*username\s+\S+\s+(?:privilege\s+\d+\s+)?(?:password|secret)\s+(?:\d+\s+)?(?P<s1>{_S})"),
    _rule(r"^\s*neighbor\s+\S+\s+password\s+(?P<s1>.+?)\s*$"),
    _rule(rf"\bauthentication-key\s+(?:\d+\s+)?(?P<s1>{_S})"),
    _rule(rf"\bmessage-digest-key\s+\d+\s+md5\s+(?:\d+\s+)?(?P<s1>{_S})"),
    _rule(rf"^\s*ipv6\s+ospf6\s+authentication\s+key-id\s+\d+\s+hash-algo\s+\S+\s+key\s+(?P<s1>{_S})"),
    _rule(r"^\s*ip\s+rip\s+authentication\s+string\s+(?P<s1>.+?)\s*$"),
    _rule(rf"^\s*(?:isis\s+password|area-password|domain-password)\s+(?:(?:clear|md5|hmac-md5)\s+)?(?P<s1>{_S})"),
    _rule(r"^\s*key-string\s+(?P<s1>.+?)\s*$"),
    _rule(rf"^\s*(?:tacacs-server|radius-server)\b.*?\skey\s+(?:\d+\s+)?(?P<s1>{_S})"),
    _rule(rf"^\s*snmp-server\s+community\s+(?P<s1>{_S})"),
    _rule(rf"^\s*snmp-server\s+host\s+\S+(?:\s+(?:traps|informs|version\s+(?:1|2c)))*\s+(?P<s1>{_S})"),
    _rule(
        rf"\s(?:auth\s+(?:md5|sha)|priv\s+(?:des|3des|aes(?:\s+\d+)?))\s+(?P<s1>{_S})", when=r"^\s*snmp-server\s+user\b"
    ),
    # net-snmp snmpd.conf
    _rule(rf"^\s*(?:ro|rw)community6?\s+(?P<s1>{_WORD})"),
    _rule(rf"^\s*com2sec6?\s+(?:-Cn\s+\S+\s+)?\S+\s+\S+\s+(?P<s1>{_WORD})"),
    _rule(rf"^\s*authcommunity\s+\S+\s+(?P<s1>{_WORD})"),
    _rule(rf"^\s*(?:trapsink|trap2sink|informsink)\s+\S+\s+(?P<s1>{_WORD})"),
    _rule(rf"^\s*trapcommunity\s+(?P<s1>{_WORD})"),
    _rule(rf"\s-[cAX]\s+(?P<s1>{_WORD})", when=r"^\s*trapsess\b"),
    _rule(
        rf"^\s*createUser\s+(?:-e\s+\S+\s+)?\S+\s+(?:MD5|SHA[\w-]*)\s+(?:-[lm]\s+)?(?P<s1>{_WORD})"
        rf"(?:\s+(?:DES|AES\w*)(?:\s+(?:-[lm]\s+)?(?P<s2>{_WORD}))?)?"
    ),
)


def _hide_groups(match: re.Match[str]) -> str:
    """The matched text with each secret group replaced by the marker."""
    text, start = match.group(0), match.start()
    for name in sorted((n for n in match.groupdict() if match.group(n) is not None), key=match.start, reverse=True):
        begin, end = match.start(name) - start, match.end(name) - start
        text = text[:begin] + HIDDEN + text[end:]
    return text


def mask_line(line: str) -> str:
    """One configuration line (CLI or XML) with its secrets hidden."""
    line = _XML_LEAF.sub(lambda m: m.group(0).replace(f">{m.group('value')}<", f">{HIDDEN_XML}<", 1), line)
    for rule in _RULES:
        if rule.when is None:
            line = rule.pattern.sub(_hide_groups, line, count=1)
        elif rule.when.search(line):
            line = rule.pattern.sub(_hide_groups, line)
    return line


def mask_config(text: str) -> str:
    """A whole configuration (CLI lines or a NETCONF document) with its secrets hidden; an XML leaf
    whose text runs over several lines is hidden too."""
    text = _XML_LEAF.sub(lambda m: m.group(0).replace(f">{m.group('value')}<", f">{HIDDEN_XML}<", 1), text)
    return "".join(mask_line(line) for line in text.splitlines(keepends=True))


# Where a configuration line may begin inside a message: the start of a line, after a colon or a
# semicolon (``% Unknown command: ...``, refusals joined by ``; ``), after an opening quote.
_QUOTED_START = re.compile(r"^|[:;]\s+|['\"`]")


def mask_message(text: str) -> str:
    """A device's message with the secrets of any configuration line it quotes hidden: each tail of a
    line that starts where a quoted line may start is masked as a configuration line."""
    out = []
    for line in text.splitlines(keepends=True):
        for start in sorted({m.end() for m in _QUOTED_START.finditer(line)}, reverse=True):
            line = line[:start] + mask_line(line[start:])
        out.append(line)
    return "".join(out)


def mask_diff(diff: str) -> str:
    """A unified diff with the secrets of its ``-``, ``+`` and context lines hidden (markers kept), so
    a line whose only change is its secret still shows as removed and added."""
    out = []
    for line in diff.splitlines(keepends=True):
        out.append(line[0] + mask_line(line[1:]) if line[:1] in ("-", "+", " ") else line)
    return "".join(out)


def is_secret_element(name: str) -> bool:
    """Whether a NETCONF leaf of this local name holds a secret (its value is never shown)."""
    return _SECRET_ELEMENT.fullmatch(name.split("}")[-1].split(":")[-1]) is not None
