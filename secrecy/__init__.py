"""The process's secret values, kept out of every log record and of the text it stores or shows.

Every secret this project reads is *remembered* here as it is read: a device's password, community
or SNMPv3 key (``adapters.Secret`` remembers its value when made), the API and OSS tokens (each
wing's settings, once loaded), a database URL's password (each wing's storage, when it makes its
engine). :func:`install` then makes every log record, of this project and of the libraries it
drives, carry each remembered value as :data:`HIDDEN`: its message and its formatted exception. A
record is masked when it is made (a log record factory), so every handler, the ones a library or a
test adds included, gets the masked record. That covers what no caller-side care can: ncclient
logs every NETCONF reply and netmiko everything a device sends when the level is DEBUG (a running
configuration with its keys), and an exception no driver translates may quote its input. A wing
may add maskers of its own (the agent adds ``adapters.redact.mask_message``, which also hides the
secrets of configuration lines it never knew, another device's keys).

:func:`hide` is the same masking for a text about to be stored or shown (a failure reason).

Values shorter than :data:`MIN_LENGTH` are not masked: they would hide ordinary words and numbers
everywhere, and a secret that short is no secret anyway. The standard library only, and nothing of
this project: any package may import it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

HIDDEN = "<secret hidden>"
MIN_LENGTH = 4

Masker = Callable[[str], str]

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None
_maskers: tuple[Masker, ...] = ()
_installed = False


def remember(*values: str | None) -> None:
    """Hide these values from now on (None and values shorter than :data:`MIN_LENGTH` are ignored)."""
    with _lock:
        new = {v for v in values if v is not None and len(v) >= MIN_LENGTH} - _values
        if new:
            _values.update(new)
            _compile()


def forget(*values: str) -> None:
    """Stop hiding these values (a secret rotated away; a test's own)."""
    with _lock:
        if _values & set(values):
            _values.difference_update(values)
            _compile()


def remembered() -> frozenset[str]:
    return frozenset(_values)


def _compile() -> None:
    global _pattern
    # longest first: a secret that contains another is hidden whole
    alternatives = sorted(_values, key=lambda v: (-len(v), v))
    _pattern = re.compile("|".join(re.escape(v) for v in alternatives)) if alternatives else None


def hide(text: str) -> str:
    """``text`` with every remembered value, and whatever the installed maskers find, hidden."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(HIDDEN, text)
    for masker in _maskers:
        text = masker(text)
    return text


def install(*maskers: Masker) -> None:
    """Mask every log record from now on, with these maskers beside the remembered values (calling
    it again adds maskers; each is applied once)."""
    global _installed, _maskers
    with _lock:
        _maskers = _maskers + tuple(m for m in maskers if m not in _maskers)
        if _installed:
            return
        _installed = True
        made = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = made(*args, **kwargs)
            _mask(record)
            return record

        logging.setLogRecordFactory(factory)


class _Shown:
    """An argument whose text held a secret: shown by ``%s`` and ``%r`` as it was, the secret hidden."""

    __slots__ = ("_repr", "_str")

    def __init__(self, text: str, representation: str) -> None:
        self._str, self._repr = text, representation

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return self._repr


def _hide_arg(value: Any) -> Any:
    if isinstance(value, str):
        return hide(value)
    # an exception, a path, a number: kept as it is unless its text holds a secret
    text, representation = str(value), repr(value)
    shown = _Shown(hide(text), hide(representation))
    return value if (shown._str, shown._repr) == (text, representation) else shown


def _masked_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_hide_arg(a) for a in args)
    if isinstance(args, Mapping):
        return {k: _hide_arg(v) for k, v in args.items()}
    return args


def _mask(record: logging.LogRecord) -> None:
    """The record's message, exception and stack with their secrets hidden. Its arguments stay
    arguments where that is enough (a formatter may read them: uvicorn's access log does); if not,
    the message is the masked text, without arguments."""
    if _pattern is None and not _maskers:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: logging reports it, with its arguments, when it formats the record
        if isinstance(record.msg, str):
            record.msg = hide(record.msg)
        record.args = _masked_args(record.args)
        return
    shown = hide(message)
    if shown != message:
        record.msg = hide(record.msg if isinstance(record.msg, str) else str(record.msg))
        record.args = _masked_args(record.args) if record.args else record.args
        try:
            again = record.getMessage()
            clean = hide(again) == again
        except Exception:  # the masked arguments no longer fit the format
            clean = False
        if not clean:
            record.msg, record.args = shown, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        hidden = hide(text)
        if hidden != text:
            record.exc_text = hidden
    if record.stack_info:
        record.stack_info = hide(record.stack_info)
