"""Secret values kept out of log records: the masking itself, with records as this project's code and
the libraries it drives make them.

The registry and the record factory are the process's: each test remembers values of its own (made
unique), so what it checks does not depend on what other tests remembered."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

import secrecy
from adapters.redact import mask_message


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing to a buffer through a plain formatter (its exceptions included)."""
    secrecy.install(mask_message)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(unique("tests.secrecy"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, buffer
    logger.removeHandler(handler)


def test_a_remembered_value_is_hidden_in_the_message_its_arguments_and_the_exception(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = log
    password = unique("pw")
    secrecy.remember(password)
    logger.warning("login as admin with %s refused", password)
    logger.error(f"in the message itself: {password}")
    try:
        raise RuntimeError(f"the driver said: bad password {password!r}")
    except RuntimeError as exc:
        logger.error("unexpected failure while preparing: %r", exc)
        logger.exception("and with its traceback")
    text = buffer.getvalue()
    assert password not in text
    assert text.count(secrecy.HIDDEN) == 4  # the last: in the exception's line of the traceback
    assert "login as admin with <secret hidden> refused" in text
    assert "Traceback (most recent call last)" in text and "RuntimeError: the driver said: bad password" in text


def test_a_value_remembered_later_is_hidden_from_then_on_and_short_values_are_not_masked(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = log
    token = unique("tok")
    logger.info("before: %s", token)
    secrecy.remember(token, "abc", None)
    logger.info("after: %s, and abc stays", token)
    lines = buffer.getvalue().splitlines()
    assert lines == [
        f"INFO {logger.name}: before: {token}",
        f"INFO {logger.name}: after: <secret hidden>, and abc stays",
    ]


def test_a_secret_that_contains_another_is_hidden_whole(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = log
    short = unique("key")
    secrecy.remember(short, short + "-and-more")
    logger.info("%s|%s", short + "-and-more", short)
    assert buffer.getvalue().strip().endswith(": <secret hidden>|<secret hidden>")


def test_a_library_debug_record_of_a_device_reply_hides_the_keys_of_its_configuration(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    """What ncclient logs of every NETCONF reply at DEBUG, and netmiko of what a device sends: keys
    this process never knew (another user's) are hidden by the configuration masker installed."""
    logger, buffer = log
    ncclient, netmiko = libraries = [logging.getLogger("ncclient.transport.ssh"), logging.getLogger("netmiko")]
    for library in libraries:  # the fixture's handler on each library's logger
        library.addHandler(logger.handlers[0])
        library.setLevel(logging.DEBUG)
    key = unique("bgp")
    try:
        ncclient.debug("Received:\n%s", f"<rpc-reply><data><user><password>{key}</password></user></data></rpc-reply>")
        netmiko.debug("read_channel: \n neighbor 192.0.2.1 password %s\n!", key)
    finally:
        for library in libraries:
            library.removeHandler(logger.handlers[0])
            library.setLevel(logging.NOTSET)
    assert key not in buffer.getvalue()
    assert "<password>&lt;secret hidden&gt;</password>" in buffer.getvalue()
    assert " neighbor 192.0.2.1 password <secret hidden>\n" in buffer.getvalue()


def test_an_access_log_record_keeps_its_arguments_for_uvicorns_formatter(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = log
    token = unique("tok")
    secrecy.remember(token)
    logger.handlers[0].setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/x?token={token}", "1.1", 200)
    assert buffer.getvalue() == '127.0.0.1:5000 - "GET /x?token=<secret hidden> HTTP/1.1" 200 OK\n'


def test_a_number_that_is_a_secret_is_hidden_even_under_a_numeric_format(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = log
    pin = str(uuid.uuid4().int)[:12]
    secrecy.remember(pin)
    logger.info("pin %d, ok", int(pin))
    assert buffer.getvalue().strip().endswith(": pin <secret hidden>, ok")


def test_a_malformed_call_is_left_for_logging_to_report_without_its_secret() -> None:
    """logging reports a call whose arguments do not fit its format, quoting them: hidden there too."""
    secrecy.install(mask_message)
    password = unique("pw")
    secrecy.remember(password)
    record = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "two %s %s", (password,), None)
    assert (record.msg, record.args) == ("two %s %s", (secrecy.HIDDEN,))
    with pytest.raises(TypeError, match="not enough arguments"):
        record.getMessage()


def test_hide_masks_remembered_values_in_a_text_to_store() -> None:
    secrecy.install(mask_message)
    password = unique("pw")
    secrecy.remember(password)
    assert secrecy.hide(f"refused: {password}; snmp-server community {unique('c')} RO") == (
        "refused: <secret hidden>; snmp-server community <secret hidden> RO"
    )


def test_a_forgotten_value_is_shown_again(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = log
    kept, rotated = unique("kept"), unique("rotated")
    secrecy.remember(kept, rotated)
    secrecy.forget(rotated, "never-remembered")
    logger.info("%s %s", kept, rotated)
    assert buffer.getvalue().strip().endswith(f": <secret hidden> {rotated}")
    assert kept in secrecy.remembered() and rotated not in secrecy.remembered()
