"""Opening ncclient sessions fast, and translating ncclient's exceptions into the adapter error tree.

ncclient's session thread waits for data with ``select(timeout=TICK)`` and only sends queued
requests between waits, so with its 0.1 s TICK one session manages about 10 sequential RPCs/s.
:func:`lower_tick` shortens the wait when a session is opened (never at import time); the price is
an idle wake-up per tick per open session, hence a setting rather than zero.
"""

from __future__ import annotations

import socket
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
    return manager.connect(
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
