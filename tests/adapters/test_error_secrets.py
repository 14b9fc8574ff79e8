"""A device's refusal can quote the configuration line it refused, secret and all: the error tree
hides it where the error is built, so nothing that logs, stores or shows the error can leak it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from adapters import AdapterError, ConfigurationRejectedError
from adapters.cli import session
from adapters.netconf.session import rejected
from adapters.redact import HIDDEN, mask_message

FRR_SESSION = (
    "pe1(config-router)# neighbor 198.19.255.2 pasword Bgp5ecret\n"
    "% Unknown command: neighbor 198.19.255.2 password Bgp5ecret\n"
    "pe1(config)# snmp-server community publ1c RO\n"
    "% Unknown command: snmp-server community publ1c RO\n"
)


def test_frr_s_refusals_quoted_in_a_rejection_show_no_secret() -> None:
    refused = "; ".join(session.rejected_lines(FRR_SESSION))
    error = ConfigurationRejectedError("change refused", device_message=refused, device="pe1", operation="configure")
    for said in (str(error), error.device_message, error.detail, repr(error)):
        assert "Bgp5ecret" not in said and "publ1c" not in said, said
    assert f"% Unknown command: neighbor 198.19.255.2 password {HIDDEN}" in str(error)
    assert str(error).startswith("pe1: configure: change refused: % Unknown command: ")


def test_an_rpc_error_echoing_a_secret_leaf_shows_no_secret() -> None:
    exc = SimpleNamespace(
        tag="invalid-value",
        message="bad value in <password>Netc0nfPw</password> and <text-name>C0mm</text-name>",
        path="/system/authentication/user[name='oss']/password",
        info=None,
    )
    error = rejected(exc, "pe1", "edit_config")
    assert "Netc0nfPw" not in str(error) and "C0mm" not in error.device_message
    assert "[invalid-value]" in str(error) and "user[name='oss']/password" in str(error)


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("line 3: 'rocommunity R0comm default'", "R0comm"),
        ('refused "createUser lab SHA Au7hPass AES Pr1v"', "Au7hPass"),
        ("% Invalid input: password z3bra", "z3bra"),
    ],
)
def test_any_adapter_error_quoting_a_configuration_line_hides_its_secret(message: str, secret: str) -> None:
    assert secret not in str(AdapterError(message, device="pe1"))
    assert mask_message(mask_message(message)) == mask_message(message)


def test_a_message_without_a_configuration_line_is_left_alone() -> None:
    text = "pe1: configure: change refused; configuration restored: % Unknown command: interface eth9"
    assert mask_message(text) == text
    assert str(AdapterError("timed out after 10 s", device="pe1", operation="restore")).endswith("timed out after 10 s")
