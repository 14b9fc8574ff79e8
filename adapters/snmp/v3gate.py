"""Which SNMPv3 messages the trap receiver takes, and by which path (RFC 3412, RFC 3414).

pysnmp decodes the whole of a v3 message, a plaintext scoped PDU with every OID in it included,
before its USM authenticates anything, and then keeps garbage that only the cyclic collector frees:
64 KB OIDs from anyone would cost the agent memory. So the gate judges each v3 message from its
header and USM parameters alone (:func:`adapters.snmp.v3msg.decode_v3`, which decodes no OID) and,
wherever it holds the user's keys, from its digest, before pysnmp or the fast path sees it:

- A trap (not reportable) must come from an engine a user is configured for. Traps of users whose
  keys the fast path holds go there (digest, time window and decryption in :mod:`adapters.snmp.usm`);
  the other users' traps go to pysnmp.
- A reportable message (an inform, a request) is addressed to this engine, which is authoritative
  for it: it must carry this engine's id and a configured user, and its digest is checked here
  when the fast path can (HMAC-MD5/SHA/SHA-2) before pysnmp decodes it.
- An engine-id discovery probe (RFC 3414 section 4: no engine id, noAuthNoPriv, an empty request)
  goes to pysnmp, which answers with this engine's id; anything larger in that form is malformed.

Everything else is refused, with the reason the receiver counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from adapters.snmp import usm, v3msg
from adapters.target import SnmpAccess

FAST: Final = "fast"
PYSNMP: Final = "pysnmp"
PROBE_MAX_SCOPED: Final = 128  # an empty request with its context: about 20 bytes from net-snmp
_LEVEL = v3msg.FLAG_AUTH | v3msg.FLAG_PRIV


@dataclass(frozen=True, slots=True)
class V3TrapUser:
    """A USM user notifications may arrive from; ``engine_id`` (hex) is needed for v3 traps
    (the sender is authoritative), not for v3 informs."""

    access: SnmpAccess
    engine_id: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Where a message goes (:data:`FAST`, :data:`PYSNMP`), or why it is refused."""

    path: str | None
    refusal: str = ""
    user: usm.LocalUser | None = None  # for the fast path: the keys to check it with


class V3Gate:
    """The receiver's v3 users, and its judgement of each v3 message.

    ``fast_path`` gives traps of engines with configured keys to the fast path (off: to pysnmp).
    """

    def __init__(self, users: Iterable[V3TrapUser], fast_path: bool = True) -> None:
        self._masters: usm.MasterKeys = {}
        self._names: set[bytes] = set()
        self._engines: set[bytes] = set()
        self._fast: dict[tuple[bytes, bytes], usm.LocalUser] = {}  # (engine id, user) -> keys
        self._inform_users: list[SnmpAccess] = []  # localized to this engine by ``set_local_engine``
        self._informs: dict[bytes, usm.LocalUser] = {}  # user -> keys localized to this engine
        self._local: bytes | None = None
        for user in users:
            if not user.access.user:
                continue
            self._names.add(user.access.user.encode())
            checkable = usm.fast_path_supports(user.access)
            if user.engine_id:
                engine = bytes.fromhex(user.engine_id)
                self._engines.add(engine)
                if fast_path and checkable:
                    local = usm.localize(user.access, engine, self._masters)
                    self._fast[(engine, local.name)] = local
            elif checkable:
                self._inform_users.append(user.access)

    @property
    def fast_users(self) -> int:
        return len(self._fast)

    def set_local_engine(self, engine_id: bytes) -> None:
        """This engine's id (pysnmp's, known once it is created): informs' keys are localized to it."""
        self._local = engine_id
        for access in self._inform_users:
            local = usm.localize(access, engine_id, self._masters)
            self._informs[local.name] = local

    def judge(self, message: v3msg.V3Message, data: bytes) -> Verdict:
        """The path for ``message`` (``data`` its bytes, for the digest), or the refusal reason."""
        if message.security_model != v3msg.SECURITY_MODEL_USM:
            return Verdict(None, "malformed")  # not a USM message: no security model here reads it
        reportable = bool(message.flags & v3msg.FLAG_REPORTABLE)
        engine, level = message.engine_id, message.flags & _LEVEL
        if not engine:
            if reportable and not level and not message.user and len(message.scoped) <= PROBE_MAX_SCOPED:
                return Verdict(PYSNMP)  # engine-id discovery: pysnmp answers with a report
            return Verdict(None, "malformed")
        if engine == self._local:
            keys = self._informs.get(message.user)
        elif reportable or engine not in self._engines:
            return Verdict(None, "unknown_engine")  # a request or inform is for this engine only
        else:
            keys = self._fast.get((engine, message.user))
            if keys is not None:
                if level != keys.flags:
                    return Verdict(None, "unsupported_security_level")
                return Verdict(FAST, user=keys)  # digest, window and decryption on the fast path
        if message.user not in self._names:
            return Verdict(None, "unknown_user")
        if keys is not None:
            if level != keys.flags:
                return Verdict(None, "unsupported_security_level")
            if not usm.authentic(keys, data, message):
                return Verdict(None, "failed_digest")
        return Verdict(PYSNMP)
