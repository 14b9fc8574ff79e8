"""Inventory loading: groups and defaults, secret references, and a clear error for each bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters import Secret
from oss_agent.config import load_inventory
from oss_agent.errors import ConfigError

ENV = {"SNMP_RO": "public-ro", "SSH_PW": "pw-123"}

GOOD = """\
defaults:
  site: lab
  snmp: {version: v2c, community: {env: SNMP_RO}}
  ssh: {username: oss, password: {env: SSH_PW}}
groups:
  pe:
    role: pe
    platform: frr
    tags: [core]
devices:
  - name: pe1
    host: 198.51.100.11
    groups: [pe]
  - name: ce1
    host: ce1.example.net
    platform: linux
    ssh: null
"""


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_inventory(path, ENV if environ is None else environ)
    return [str(p) for p in caught.value.problems]


def test_defaults_groups_and_null_merge(tmp_path: Path) -> None:
    inventory = load_inventory(write(tmp_path, GOOD), ENV)
    pe1, ce1 = inventory.devices
    assert (pe1.role, pe1.platform.value, pe1.site, pe1.tags) == ("pe", "frr", "lab", ("core",))
    assert ce1.ssh is None
    assert ce1.snmp is not None
    target = inventory.target("pe1")
    assert target.ssh is not None and target.ssh.password == Secret("pw-123")
    assert target.snmp is not None and target.snmp.community is not None
    assert target.snmp.community.reveal() == "public-ro"
    assert "public-ro" not in repr(target)
    assert "pw-123" not in repr(target)


def test_500_devices_share_one_group_and_each_secret_is_resolved_once(tmp_path: Path) -> None:
    secret = tmp_path / "community"
    secret.write_text("c0mmunity\n")
    secret.chmod(0o600)
    devices = "\n".join(
        f"  - {{name: d{i}, host: 198.18.{i // 250}.{i % 250 + 1}, groups: [edge]}}" for i in range(500)
    )
    text = f"groups:\n  edge:\n    platform: linux\n    snmp: {{community: {{file: {secret}}}}}\ndevices:\n{devices}\n"
    inventory = load_inventory(write(tmp_path, text), {})
    assert len(inventory.devices) == 500
    assert len(inventory.secrets) == 1
    snmp = inventory.target("d499").snmp
    assert snmp is not None and snmp.community is not None and snmp.community.reveal() == "c0mmunity"


# The six kinds of bad configuration the issue names; each names the file, the line and the field.


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "devices:\n  - name: pe1\n    host: [198.51.100.1\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:")
    assert "YAML syntax error" in problem
    assert ":4:" in problem or ":3:" in problem


def test_missing_field_names_the_device_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "devices:\n  - name: pe1\n    platform: frr\n")
    (problem,) = problems_of(path)
    assert problem == f"{path}:2: devices[0].host: device 'pe1': missing required field"


def test_bad_address(tmp_path: Path) -> None:
    path = write(tmp_path, "devices:\n  - name: pe1\n    platform: frr\n    host: 10.0.0.300\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:4: devices[0].host:")
    assert "'10.0.0.300' is neither an IP address nor a valid host name" in problem


def test_a_host_name_with_a_final_line_break_is_refused(tmp_path: Path) -> None:
    """A block scalar keeps its final line break; '$' in re.match took it as part of a valid name."""
    path = write(tmp_path, "devices:\n  - name: pe1\n    platform: frr\n    host: |\n      pe1.example.net\n")
    (problem,) = problems_of(path)
    assert "'pe1.example.net\\n' is neither an IP address nor a valid host name" in problem


def test_unknown_platform_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "devices:\n  - name: pe1\n    host: 198.51.100.1\n    platform: cisco_xyz\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:4: devices[0].platform:")
    assert "unknown platform 'cisco_xyz'" in problem
    assert "juniper_junos" in problem


def test_duplicate_device_name_points_at_both(tmp_path: Path) -> None:
    text = (
        "devices:\n  - {name: pe1, host: 198.51.100.1, platform: frr}\n"
        "  - {name: pe2, host: 198.51.100.2, platform: frr}\n"
        "  - {name: pe1, host: 198.51.100.3, platform: frr}\n"
    )
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert problem == f"{path}:4: devices[2].name: duplicate device name 'pe1' (first defined at line 2)"


@pytest.mark.parametrize(
    ("reference", "environ", "expected"),
    [
        ("{env: NOT_SET_ANYWHERE}", {}, "environment variable NOT_SET_ANYWHERE is not set"),
        ("{file: /nonexistent/secret}", {}, "secret file /nonexistent/secret: No such file or directory"),
    ],
)
def test_secret_reference_that_resolves_to_nothing(
    tmp_path: Path, reference: str, environ: dict[str, str], expected: str
) -> None:
    text = (
        f"devices:\n  - name: pe1\n    host: 198.51.100.1\n    platform: frr\n    snmp:\n      community: {reference}\n"
    )
    path = write(tmp_path, text)
    (problem,) = problems_of(path, environ)
    assert problem.startswith(f"{path}:6: devices[0].snmp.community: secret reference resolves to nothing")
    assert expected in problem
    assert "(used by pe1)" in problem


def test_secret_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("hunter2")
    secret.chmod(0o644)
    text = (
        "devices:\n  - name: pe1\n    host: 198.51.100.1\n    platform: frr\n"
        f"    ssh: {{username: u, password: {{file: {secret}}}}}\n"
    )
    (problem,) = problems_of(write(tmp_path, text))
    assert "readable by others (mode 0644)" in problem
    assert "hunter2" not in problem


def test_failing_reference_in_defaults_is_reported_once_where_it_is_written(tmp_path: Path) -> None:
    devices = "\n".join(f"  - {{name: d{i}, host: 198.51.100.{i + 1}}}" for i in range(10))
    text = f"defaults:\n  platform: linux\n  snmp:\n    community: {{env: MISSING}}\ndevices:\n{devices}\n"
    path = write(tmp_path, text)
    (problem,) = problems_of(path, {})
    assert problem.startswith(f"{path}:4: defaults.snmp.community:")
    assert "(used by d0, d1, d2 and 7 more)" in problem


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = (
        "devices:\n  - {name: a, host: 1.2.3.999, platform: frr}\n  - {name: b, host: 198.51.100.2, platform: nope}\n"
        "  - {name: c, platform: frr}\n"
    )
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "devices:\n  - {name: a, host: 198.51.100.1, platform: frr, colour: red}\n",
            "devices[0].colour: device 'a': unknown field",
        ),
        ("hosts: []\ndevices: []\n", "hosts: unknown top-level key"),
        ("devices: {pe1: 1}\n", "devices: missing required list of devices"),
        ("- just\n- a list\n", "an inventory must be a mapping"),
        ("devices:\n  - {name: a, host: 198.51.100.1, platform: frr, groups: [nope]}\n", "unknown group 'nope'"),
        ("devices:\n  - {name: a, host: 198.51.100.1, platform: frr}\ndevices: []\n", "duplicate key"),
        (
            "devices:\n  - {name: a, host: 198.51.100.1, platform: frr, snmp: {version: v3}}\n",
            "SNMP v3 needs a 'user'",
        ),
        (
            "devices:\n  - {name: a, host: 198.51.100.1, platform: frr, snmp: {version: v2c, port: 70000}}\n",
            "snmp.port",
        ),
        (
            "devices:\n  - {name: a, host: 198.51.100.1, platform: frr, "
            "snmp: {version: v3, user: u, engine_id: '0x8000zz'}}\n",
            "'engine_id' '0x8000zz' is not 5 to 32 octets of hex",
        ),
        (
            "devices:\n  - {name: a, host: 198.51.100.1, platform: frr, "
            "snmp: {version: v2c, community: {env: SNMP_RO}, engine_id: '8000000001'}}\n",
            "'engine_id' is for SNMP v3, not v2c",
        ),
    ],
)
def test_other_bad_inputs_are_named(tmp_path: Path, text: str, fragment: str) -> None:
    problems = problems_of(write(tmp_path, text))
    assert any(fragment in p for p in problems), problems


def test_v3_engine_id_is_normalised_to_plain_hex(tmp_path: Path) -> None:
    text = (
        "devices:\n  - {name: a, host: 198.51.100.1, platform: frr, snmp: {version: v3, user: u, "
        "auth_protocol: sha, auth_key: {env: SSH_PW}, engine_id: '0x80:00:1F:88:80:AA'}}\n"
    )
    target = load_inventory(write(tmp_path, text), ENV).target("a")
    assert target.snmp is not None and target.snmp.engine_id == "80001f8880aa"


def test_unreadable_file(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "missing.yaml")
    assert "cannot read file" in problem


def test_loading_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    before = sorted(os.listdir(tmp_path))
    load_inventory(path, ENV)
    assert sorted(os.listdir(tmp_path)) == before


PROBES = """\
  - {name: lan1, host: 198.51.100.31, address: 198.18.2.10, site: customer1, attached_to: ce1}
  - {name: inet, host: 198.51.100.33, address: 198.18.4.10, role: internet, ssh: {username: probe}}
"""


def test_probes_take_the_defaults_ssh_access(tmp_path: Path) -> None:
    inventory = load_inventory(write(tmp_path, GOOD + "probes:\n" + PROBES), ENV)
    lan1, inet = inventory.probes
    assert (lan1.name, lan1.address, lan1.role, lan1.attached_to) == ("lan1", "198.18.2.10", "customer", "ce1")
    target = inventory.probe_target(lan1)
    assert target.platform == "linux" and target.ssh is not None and target.ssh.password == Secret("pw-123")
    assert inventory.probe_target(inet).ssh is not None and inventory.probe_target(inet).ssh.username == "probe"
    assert [d.name for d in inventory.devices] == ["pe1", "ce1"]  # probes are not devices


def test_a_bad_probe_is_reported_with_its_line(tmp_path: Path) -> None:
    text = GOOD + (
        "probes:\n  - {name: lan1, host: 198.51.100.31, address: not-an-ip}\n"
        "  - {name: pe1, host: 10.0.0.1, address: 10.0.0.2}\n"
    )
    found = problems_of(write(tmp_path, text))
    assert any(":19: probes[0].address" in p and "not an IP address" in p for p in found), found
    assert any("probes[1].name" in p and "'pe1' is taken" in p for p in found), found


UNREADABLE = "2024-13-45"  # a plain scalar YAML reads as a date, and cannot


@pytest.mark.parametrize(
    ("text", "secret", "where"),
    [
        (
            f"devices:\n  - name: pe1\n    host: 198.51.100.11\n    platform: frr\n"
            f"    snmp: {{community: {UNREADABLE}}}\n",
            UNREADABLE,
            ":5:23: devices[0].snmp.community: cannot read the value as timestamp (put it in quotes if it is text)",
        ),
        (
            f"defaults:\n  ssh:\n    username: oss\n    password: !!int {UNREADABLE}\ndevices: []\n",
            UNREADABLE,
            ":4:15: defaults.ssh.password: cannot read the value as int",
        ),
        (  # of the wrong type: pydantic's words, not the value
            "devices:\n  - name: pe1\n    host: 198.51.100.11\n    platform: frr\n"
            "    ssh: {username: oss, password: [Pl41n-s3cret]}\n",
            "Pl41n-s3cret",
            ":5: devices[0].ssh.password",
        ),
    ],
)
def test_an_unreadable_or_mistyped_secret_is_located_never_quoted(
    tmp_path: Path, text: str, secret: str, where: str
) -> None:
    """The error names the file, line, column and field; neither it nor its traceback repeats the value."""
    import traceback

    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_inventory(path)
    said = str(caught.value)
    assert said.startswith(f"{path}{where}"), said
    assert secret not in "".join(traceback.format_exception(caught.value)) and secret[:4] not in said
