"""The one exception tree of the southbound adapters.

Every driver translates its library's exceptions at the boundary (``raise X(...) from exc``), so the
agent above handles five situations instead of fifty library-specific ones::

    AdapterError
     ├── DeviceUnreachableError       nothing answers at the address (refused, no route, DNS)
     ├── AuthenticationError          the device answered and refused the credentials
     ├── DeviceTimeoutError           the device did not answer within the call's timeout
     ├── ConfigurationRejectedError   the device refused a change; carries the device's own message
     ├── UnsupportedOperationError    this driver or platform cannot do that
     └── DriverNotFoundError          no registered driver for a platform/protocol pair

Messages never contain secrets: drivers pass the device name and the operation, not the credentials,
and a message quoting the device (a refused line, an rpc-error) has the secrets of the configuration
lines it quotes hidden here, where it is built (:func:`adapters.redact.mask_message`): whatever then
logs, stores or shows the error (a resource order's ``error``, an order's reason, a CLI's message)
cannot leak them.
"""

from __future__ import annotations

from adapters.redact import mask_message


class AdapterError(Exception):
    """Root of every error raised by a southbound driver."""

    def __init__(self, message: str, *, device: str | None = None, operation: str | None = None) -> None:
        message = mask_message(message)
        self.device = device
        self.operation = operation
        prefix = ""
        if device is not None:
            prefix = f"{device}: "
        if operation is not None:
            prefix = f"{prefix}{operation}: "
        super().__init__(f"{prefix}{message}")
        self.detail = message


class DeviceUnreachableError(AdapterError):
    """Nothing answered at the device's address."""


class AuthenticationError(AdapterError):
    """The device answered but refused the credentials."""


class DeviceTimeoutError(AdapterError):
    """The device did not answer in time."""


class ConfigurationRejectedError(AdapterError):
    """The device refused a configuration change; nothing of it stays applied."""

    def __init__(
        self,
        message: str,
        *,
        device_message: str,
        device: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.device_message = mask_message(device_message)
        super().__init__(f"{message}: {device_message}", device=device, operation=operation)


class UnsupportedOperationError(AdapterError):
    """The driver or platform does not support the operation."""


class DriverNotFoundError(AdapterError):
    """No driver is registered for the platform and protocol asked for."""
