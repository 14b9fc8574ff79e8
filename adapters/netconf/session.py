"""Opening ncclient sessions fast, and translating ncclient's exceptions into the adapter error tree.

ncclient's session thread waits for data with ``select(timeout=TICK)`` and only sends queued
requests between waits, so with its 0.1 s TICK one session manages about 10 sequential RPCs/s.
:func:`lower_tick` shortens the wait when a session is opened (never at import time); the price is
an idle wake-up per tick per open session, hence a setting rather than zero.

yuma123 workaround: when the read that brings netconfd the client's ``<hello>`` holds more (an
RPC), netconfd handles the hello and leaves the rest unanswered until more input arrives. ncclient
sends its hello, waits for the server's, then returns, and the first RPC follows at once; when
netconfd is slow to read (a busy machine) both arrive in one read, and a caller that sends nothing
else waits out its whole timeout. (Measured on the lab: a ``<get-config>`` written together with
the hello was answered only once a second RPC came.) :func:`connect` therefore settles a yuma123
session before handing it out: a read-only probe, sent again every :data:`SETTLE_PROBE_S` until one
is answered; an answer proves the hello was read.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from adapters.errors import (
    AdapterError,
    AuthenticationError,
    ConfigurationRejectedError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    UnsupportedOperationError,
)
from adapters.netconf import parse
from adapters.target import DeviceTarget

DEFAULT_TICK_S = 0.001
YUMA123 = "http://yuma123.org/ns/"  # what a yuma123 netconfd's capabilities begin with
SETTLE_PROBE_S = 1.0  # how long a settling probe is waited for before another is sent
# a subtree filter that selects nothing: the probe's answer is an empty <data>
PROBE_FILTER = '<oss-agent-probe xmlns="urn:oss-agent:netconf-probe"/>'


def lower_tick(tick_s: float) -> None:
    """Set ncclient's session-loop tick (a module global: the lowest value asked for wins)."""
    import ncclient.transport.session as nc_session

    if tick_s < nc_session.TICK:
        nc_session.TICK = tick_s


def connect(target: DeviceTarget, tick_s: float | None = DEFAULT_TICK_S) -> Any:
    """A NETCONF session to ``target`` (ncclient Manager); ``tick_s=None`` keeps ncclient's own tick."""
    from ncclient import manager

    access = target.netconf
    if access is None:
        raise UnsupportedOperationError("no NETCONF access configured", device=target.name, operation="connect")
    if tick_s is not None:
        lower_tick(tick_s)
    connection = manager.connect(
        host=target.host,
        port=access.port,
        username=access.username,
        password=access.password.reveal() if access.password is not None else None,
        key_filename=access.key_file,
        hostkey_verify=access.hostkey_verify,
        look_for_keys=False,
        allow_agent=False,
        timeout=access.timeout_s,
        manager_params={"timeout": access.timeout_s},
    )
    if any(c.startswith(YUMA123) for c in connection.server_capabilities):
        try:
            settle(connection, access.timeout_s)
        except BaseException:
            with contextlib.suppress(Exception):  # the settling's error is the one to report
                connection.timeout = SETTLE_PROBE_S
                disconnect(connection)
            raise
    return connection


def settle(connection: Any, timeout_s: float, probe_s: float = SETTLE_PROBE_S) -> None:
    """Return once the server has answered a read-only probe (see the module docstring); a probe
    unanswered after ``probe_s`` is sent again, until ``timeout_s`` (then ncclient's timeout error).
    A late answer to an earlier probe is harmless: it is read, and nothing waits for it."""
    from ncclient.operations.errors import TimeoutExpiredError
    from ncclient.operations.rpc import RPCError

    deadline = time.monotonic() + timeout_s
    timeout = connection.timeout
    try:
        while True:
            connection.timeout = max(min(probe_s, deadline - time.monotonic()), 0.001)
            try:
                connection.get_config(source="running", filter=("subtree", PROBE_FILTER))
            except RPCError:
                return  # an answer all the same
            except TimeoutExpiredError:
                if time.monotonic() >= deadline:
                    raise
                continue
            return
    finally:
        connection.timeout = timeout


def alive(connection: Any) -> bool:
    return bool(connection.connected)


def disconnect(connection: Any) -> None:
    connection.close_session()


def rejected(exc: Any, device: str, operation: str) -> ConfigurationRejectedError:
    """An ncclient RPCError as ConfigurationRejectedError, carrying the device's message."""
    message = parse.rpc_error_message(exc.tag, exc.message, exc.path, exc.info)
    return ConfigurationRejectedError(
        "the device answered rpc-error", device_message=message, device=device, operation=operation
    )


def translator(target: DeviceTarget) -> Any:
    """A ``translate(exc, operation)`` for :class:`adapters.blocking.DeviceSession`."""

    def translate(exc: Exception, operation: str) -> AdapterError:
        from ncclient.operations.errors import MissingCapabilityError, TimeoutExpiredError
        from ncclient.operations.rpc import RPCError
        from ncclient.transport.errors import AuthenticationError as NcAuthError
        from ncclient.transport.errors import SSHError, TransportError

        device = target.name
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
        access = target.netconf
        if access is not None and access.password is not None and access.password.reveal():
            detail = detail.replace(access.password.reveal(), "***")
        if isinstance(exc, NcAuthError):
            return AuthenticationError("the device refused the credentials", device=device, operation=operation)
        if isinstance(exc, RPCError):
            return rejected(exc, device, operation)
        if isinstance(exc, MissingCapabilityError):
            return UnsupportedOperationError(
                f"the device lacks a capability ({detail})", device=device, operation=operation
            )
        if isinstance(exc, TimeoutExpiredError | socket.timeout):
            return DeviceTimeoutError(f"no answer in time ({detail})", device=device, operation=operation)
        if isinstance(exc, SSHError | TransportError | OSError | EOFError):
            return DeviceUnreachableError(f"cannot reach {target.host} ({detail})", device=device, operation=operation)
        return AdapterError(detail, device=device, operation=operation)

    return translate
