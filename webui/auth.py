"""Console sessions made from the API token, so the token itself never reaches a page, a URL or a script.

An operator signs in once with the token (a POST form). The console answers with a cookie that
holds only the operator's name and the time of sign-in, signed with HMAC-SHA256 under a key derived
from the token: it proves the token was known without containing it, it expires after
``SESSION_LIFETIME_S``, and changing the token revokes every session. The cookie is ``HttpOnly``
(scripts cannot read it), ``SameSite=Strict`` (no other site can make the browser send it) and
``Secure`` on HTTPS. A request that changes something must also carry the page's CSRF token, an HMAC
of the session under the same key, in a header no other origin can set without CORS.

Without a token the API is open and so is the console: every request is the operator ``console``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

COOKIE = "oss_console_session"
SESSION_LIFETIME_S = 12 * 3600
CSRF_HEADER = "x-csrf-token"
OPERATOR = re.compile(r"^[\w .@-]{1,64}$")
OPEN_OPERATOR = "console"


@dataclass(frozen=True, slots=True)
class Session:
    operator: str
    issued_at: float
    cookie: str  # the cookie value this session came from ("" without a token)


class Sessions:
    """Issues and checks session cookies for one token (None: open access)."""

    def __init__(self, token: str | None, lifetime_s: float = SESSION_LIFETIME_S) -> None:
        self._token = token.encode() if token else None
        self._key = hmac.new(self._token, b"oss-agent console session", hashlib.sha256).digest() if self._token else b""
        self.lifetime_s = lifetime_s

    @property
    def open_access(self) -> bool:
        return self._token is None

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def token_matches(self, given: str) -> bool:
        return self._token is not None and hmac.compare_digest(given.strip().encode(), self._token)

    def issue(self, operator: str, now: float | None = None) -> str:
        """A cookie value for ``operator`` (checked against :data:`OPERATOR` by the caller)."""
        body = json.dumps({"u": operator, "t": round(now if now is not None else time.time(), 3)}).encode()
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def check(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie proves, or None (absent, forged, expired, or signed under another token)."""
        if self.open_access:
            return Session(OPEN_OPERATOR, 0.0, "")
        if not cookie or cookie.count(".") != 1:
            return None
        payload, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            operator, issued = str(data["u"]), float(data["t"])
        except (ValueError, KeyError, TypeError):
            return None
        current = now if now is not None else time.time()
        if not OPERATOR.fullmatch(operator) or not issued <= current < issued + self.lifetime_s:
            return None
        return Session(operator, issued, cookie)

    def csrf(self, session: Session) -> str:
        """The CSRF token of a session, put in the page (a <meta>) for its scripts to send back."""
        return self._sign(b"csrf|" + session.cookie.encode()) if not self.open_access else "open"

    def csrf_ok(self, session: Session, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf(session).encode())
