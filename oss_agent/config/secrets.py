"""Secret references: settings and inventories name where a secret is, never the secret itself.

``{env: NAME}`` reads an environment variable; ``{file: PATH}`` reads a file that only its owner may
read (a group- or world-readable secret file is refused, as ssh does with private keys).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from adapters import Secret


class SecretResolutionError(Exception):
    """A reference that resolves to nothing; the message names the reference, never a value."""


class SecretRef(BaseModel):
    """Where a secret lives: exactly one of ``env`` or ``file``."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference needs exactly one of 'env' or 'file'")
        return self

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env is not None else f"file {self.file}"

    def resolve(self, environ: Mapping[str, str] | None = None) -> Secret:
        if self.env is not None:
            value = (os.environ if environ is None else environ).get(self.env)
            if value is None or value == "":
                raise SecretResolutionError(f"environment variable {self.env} is not set")
            return Secret(value)
        assert self.file is not None
        try:
            info = self.file.stat()
        except OSError as exc:
            raise SecretResolutionError(f"secret file {self.file}: {exc.strerror}") from exc
        if not stat.S_ISREG(info.st_mode):
            raise SecretResolutionError(f"secret file {self.file} is not a regular file")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretResolutionError(
                f"secret file {self.file} is readable by others (mode {stat.S_IMODE(info.st_mode):04o}); "
                "make it owner-only: chmod 600"
            )
        try:
            value = self.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretResolutionError(f"secret file {self.file}: {exc.strerror}") from exc
        if not value:
            raise SecretResolutionError(f"secret file {self.file} is empty")
        return Secret(value)
