"""The User-based Security Model for received SNMPv3 traps, on the fast path (RFC 3414, 3826, 7860).

A v3 trap's sender is the authoritative engine, so a receiver that knows the sender's engine id
holds keys localized to it once, at start-up. Each trap then costs one HMAC over the message and,
for authPriv, one AES-CFB decryption: the same checks pysnmp's USM makes, without its per-message
object machinery (which held the receiver near 5k traps/s, against 10k wanted).

Key derivation (password to key, localization, AES key extension) is not this project's business:
it is delegated to pysnmp's own services, so both paths agree on every key by construction. Only
what the fast path verifies is here: the digest, the decryption, and the time window.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # CFB moved to the "decrepit" package in cryptography 47 and leaves the old place in 49+
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB  # type: ignore[assignment,no-redef,unused-ignore]

from adapters.snmp import ber, v3msg
from adapters.snmp.session import USM_AUTH, USM_PRIV
from adapters.target import SnmpAccess

# auth protocol -> (hash, truncated digest length on the wire): HMAC-96 (RFC 3414), RFC 7860's SHA-2
DIGESTS: dict[str, tuple[Callable[..., Any], int]] = {
    "md5": (hashlib.md5, 12),
    "sha": (hashlib.sha1, 12),
    "sha224": (hashlib.sha224, 16),
    "sha256": (hashlib.sha256, 24),
    "sha384": (hashlib.sha384, 32),
    "sha512": (hashlib.sha512, 48),
}
# priv protocols decrypted here: AES in CFB-128 mode, IV from boots, time and salt (RFC 3826)
AES_PRIV = frozenset({"aes", "aes128", "aes192", "aes256", "aes192c", "aes256c"})
TIME_WINDOW_S = 150
_MAX_BOOTS = 2**31 - 1


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A USM user's keys localized to one authoritative engine (secret: never logged or shown)."""

    name: bytes
    engine_id: bytes
    flags: int  # the security level this user's traps must carry: FLAG_AUTH, and FLAG_PRIV with privacy
    digest: Callable[..., Any]
    digest_length: int
    auth_key: bytes
    priv_key: bytes | None

    def __repr__(self) -> str:
        return f"LocalUser(name={self.name!r}, engine_id={self.engine_id.hex()})"


def fast_path_supports(access: SnmpAccess) -> bool:
    """True when traps from this user can be checked here (authenticated; no privacy or AES)."""
    return (
        access.auth_protocol in DIGESTS
        and access.auth_key is not None
        and (access.priv_protocol is None or (access.priv_protocol in AES_PRIV and access.priv_key is not None))
    )


# master keys (RFC 3414 A.2: a million bytes hashed per password) by (kind, protocol, password),
# so that many engines sharing one user's passwords cost one derivation, not one each
MasterKeys = dict[tuple[str, str, str], Any]


def localize(access: SnmpAccess, engine_id: bytes, masters: MasterKeys | None = None) -> LocalUser:
    """The user's keys localized to ``engine_id``, derived by pysnmp's USM services."""
    from pyasn1.type.univ import OctetString
    from pysnmp.hlapi.v3arch.asyncio import auth
    from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel

    if not fast_path_supports(access) or access.user is None:
        raise ValueError(f"user {access.user!r}: its protocols are not handled by the USM fast path")
    assert access.auth_protocol is not None and access.auth_key is not None
    masters = {} if masters is None else masters
    auth_oid = getattr(auth, USM_AUTH[access.auth_protocol])
    auth_service = SnmpUSMSecurityModel.AUTH_SERVICES[auth_oid]
    engine = OctetString(engine_id)
    password = access.auth_key.reveal()
    key = ("auth", access.auth_protocol, password)
    if key not in masters:
        masters[key] = auth_service.hash_passphrase(password.encode())
    auth_key = bytes(auth_service.localize_key(masters[key], engine))
    priv_key = None
    flags = v3msg.FLAG_AUTH
    if access.priv_protocol is not None:
        assert access.priv_key is not None
        priv_service = SnmpUSMSecurityModel.PRIV_SERVICES[getattr(auth, USM_PRIV[access.priv_protocol])]
        password = access.priv_key.reveal()
        key = ("priv", access.auth_protocol, password)  # the priv master key uses the auth hash
        if key not in masters:
            masters[key] = priv_service.hash_passphrase(auth_oid, password.encode())
        priv_key = bytes(priv_service.localize_key(auth_oid, masters[key], engine))[: priv_service.KEY_SIZE]
        flags |= v3msg.FLAG_PRIV
    digest, length = DIGESTS[access.auth_protocol]
    return LocalUser(access.user.encode(), engine_id, flags, digest, length, auth_key, priv_key)


def authentic(user: LocalUser, data: bytes, message: v3msg.V3Message) -> bool:
    """RFC 3414 6.3.2 / RFC 7860 4.2.2: the digest over the message with the digest field zeroed."""
    start, stop = message.auth_start, message.auth_stop
    if stop - start != user.digest_length:
        return False
    whole = b"".join((data[:start], bytes(stop - start), data[stop:]))
    expected = hmac.new(user.auth_key, whole, user.digest).digest()[: user.digest_length]
    return hmac.compare_digest(expected, data[start:stop])


def decrypt(user: LocalUser, message: v3msg.V3Message) -> bytes:
    """RFC 3826 3.1.4: AES-CFB128 with IV = engine boots, engine time (4 bytes each) and the salt."""
    if user.priv_key is None:
        raise ValueError("the user has no privacy key")
    if len(message.priv_params) != 8:
        raise ber.BerError(f"msgPrivacyParameters of {len(message.priv_params)} bytes (8 expected)")
    iv = message.engine_boots.to_bytes(4, "big") + message.engine_time.to_bytes(4, "big") + message.priv_params
    decryptor = Cipher(algorithms.AES(user.priv_key), CFB(iv)).decryptor()
    return decryptor.update(message.scoped) + decryptor.finalize()


class TimeWindow:
    """RFC 3414 3.2 step 7b: a non-authoritative receiver's notion of each sender engine's clock.

    A message from an engine is accepted while its boots are not behind, and its time is not more
    than 150 s behind, what was last learned from that engine (advanced by local elapsed time).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # engine id -> (boots, engine time, local clock then, latest engine time received)
        self._engines: dict[bytes, tuple[int, int, float, int]] = {}

    def accept(self, engine_id: bytes, boots: int, engine_time: int) -> bool:
        now = self._clock()
        known = self._engines.get(engine_id)
        if known is None or boots > known[0] or (boots == known[0] and engine_time > known[3]):
            if boots < 0 or engine_time < 0 or boots > _MAX_BOOTS:
                return False
            self._engines[engine_id] = (boots, engine_time, now, engine_time)
            return boots != _MAX_BOOTS
        local_boots, local_time, learned_at, _ = known
        if local_boots == _MAX_BOOTS or boots < local_boots:
            return False
        estimated = local_time + int(now - learned_at)
        return not (boots == local_boots and engine_time < estimated - TIME_WINDOW_S)
