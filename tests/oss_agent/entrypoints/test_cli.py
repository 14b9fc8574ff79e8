"""The ``oss-agent`` command as a user runs it: a real process, real files, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from oss_agent.storage import migrate
from oss_agent.storage.engine import make_engine

from ...conftest import PostgresServer

OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")

INVENTORY = """\
defaults:
  platform: frr
  snmp: {version: v2c, community: {env: TEST_COMMUNITY}}
devices:
  - {name: pe1, host: 198.51.100.11, site: pop1, role: pe, tags: [core]}
  - {name: pe2, host: 198.51.100.12, site: pop2, role: pe, ssh: {username: oss, password: {env: TEST_COMMUNITY}}}
"""


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")}
    merged.update(env or {})
    merged["COLUMNS"] = "200"
    return subprocess.run([OSS_AGENT, *args], capture_output=True, text=True, env=merged, timeout=120)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "inventory.yaml").write_text(INVENTORY)
    return {"OSS_AGENT_DATA_DIR": str(data), "TEST_COMMUNITY": "c0mm"}


def test_version() -> None:
    result = cli("version", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["version"] == "0.1.0"


def test_inventory_list_as_table_and_json(setup: dict[str, str]) -> None:
    table = cli("inventory", "list", env=setup)
    assert table.returncode == 0, table.stderr
    assert "pe1" in table.stdout and "198.51.100.12" in table.stdout and "snmp v2c, ssh" in table.stdout
    rows = json.loads(cli("inventory", "list", "--format", "json", env=setup).stdout)
    assert [r["name"] for r in rows] == ["pe1", "pe2"]
    assert rows[0]["tags"] == ["core"]
    assert "c0mm" not in table.stdout + json.dumps(rows)


def test_inventory_list_shows_the_file_s_words_as_they_are(tmp_path: Path) -> None:
    """Rich markup in a site, role or tag used to be read: "[core]" vanished, "[/b]" ended the command."""
    (tmp_path / "inventory.yaml").write_text(
        "devices:\n  - {name: pe1, host: 198.51.100.11, platform: frr, site: '[/b]pop1', role: '[bold]pe',"
        " tags: ['[core]'], snmp: null}\n"
    )
    table = cli("inventory", "list", env={"OSS_AGENT_DATA_DIR": str(tmp_path)})
    assert table.returncode == 0, table.stderr
    assert "[/b]pop1" in table.stdout and "[bold]pe" in table.stdout and "[core]" in table.stdout


def test_missing_inventory_is_one_clear_line(tmp_path: Path) -> None:
    result = cli("inventory", "list", env={"OSS_AGENT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "no inventory file here" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = cli("--debug", "inventory", "list", env={"OSS_AGENT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "Traceback" in result.stderr


BAD = {
    "syntax": ("devices:\n  - name: [pe1\n", ":3: YAML syntax error"),
    "missing field": ("devices:\n  - {name: pe1, platform: frr}\n", ":2: devices[0].host: device 'pe1': missing"),
    "bad address": ("devices:\n  - {name: pe1, platform: frr, host: 300.1.1.1}\n", ":2: devices[0].host:"),
    "unknown platform": ("devices:\n  - {name: pe1, platform: ios9, host: 198.51.100.1}\n", "unknown platform 'ios9'"),
    "duplicate name": (
        "devices:\n  - {name: a, platform: frr, host: 198.51.100.1}\n"
        "  - {name: a, platform: frr, host: 198.51.100.2}\n",
        ":3: devices[1].name: duplicate device name 'a'",
    ),
    "unresolved secret": (
        "devices:\n  - {name: a, platform: frr, host: 198.51.100.1, snmp: {community: {env: NOPE_X}}}\n",
        ":2: devices[0].snmp.community: secret reference resolves to nothing",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_config_check_names_file_line_and_field_and_writes_nothing(tmp_path: Path, kind: str) -> None:
    text, expected = BAD[kind]
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    data = tmp_path / "data"
    result = cli("config", "check", str(path), env={"OSS_AGENT_DATA_DIR": str(data)})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not data.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yaml"]


def test_config_check_accepts_the_shipped_files(setup: dict[str, str]) -> None:
    repo = Path(__file__).resolve().parents[3]
    env = setup | {
        "OSS_EXAMPLE_SNMP_COMMUNITY": "a",
        "OSS_EXAMPLE_SSH_PASSWORD": "b",
        "OSS_EXAMPLE_SNMP_AUTH": "authkey1",
        "OSS_EXAMPLE_SNMP_PRIV": "privkey1",
    }
    result = cli(
        "config", "check", str(repo / "config/agent.yaml"), str(repo / "config/inventory.example.yaml"), env=env
    )
    assert result.returncode == 0, result.stderr
    assert "(settings)" in result.stdout and "(inventory, 4 devices)" in result.stdout


def test_config_check_of_the_active_configuration(setup: dict[str, str]) -> None:
    result = cli("config", "check", "--format", "json", env=setup)
    assert result.returncode == 0, result.stderr
    assert [r["kind"] for r in json.loads(result.stdout)] == ["settings", "inventory"]


@pytest.mark.parametrize("content", ["", "# nothing yet\n", "[]\n"])
def test_config_check_judges_a_file_as_what_it_will_be_used_as(setup: dict[str, str], content: str) -> None:
    """The active inventory, empty, is refused by the check exactly as by the commands that use it."""
    inventory = Path(setup["OSS_AGENT_DATA_DIR"]) / "inventory.yaml"
    inventory.write_text(content)
    used = cli("inventory", "list", env=setup)
    assert used.returncode == 1 and "an inventory must be a mapping" in used.stderr
    for args in (("config", "check", str(inventory)), ("config", "check")):
        checked = cli(*args, env=setup)
        assert checked.returncode == 1, checked.stdout
        assert checked.stderr == used.stderr
    as_settings = cli("config", "check", "--as", "settings", str(inventory), env=setup)
    assert as_settings.returncode == (1 if content == "[]\n" else 0)  # a list is no settings either


def test_config_check_of_a_file_that_says_nothing_asks_what_it_is(setup: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "new.yaml"
    empty.write_text("")
    unknown = cli("config", "check", str(empty), env=setup)
    assert unknown.returncode == 1 and "say which with --as" in unknown.stderr
    as_settings = cli("config", "check", "--as", "settings", str(empty), env=setup)
    assert as_settings.returncode == 0 and "(settings)" in as_settings.stdout
    as_inventory = cli("config", "check", "--as", "inventory", str(empty), env=setup)
    assert as_inventory.returncode == 1 and "an inventory must be a mapping" in as_inventory.stderr


def test_config_check_without_an_inventory_says_so(tmp_path: Path) -> None:
    result = cli("config", "check", env={"OSS_AGENT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1 and "no inventory file here" in result.stderr


def test_bad_environment_setting_is_reported(setup: dict[str, str]) -> None:
    result = cli("config", "check", env=setup | {"OSS_AGENT_API_PORT": "0"})
    assert result.returncode == 1
    assert "environment: OSS_AGENT_API_PORT:" in result.stderr


def test_db_upgrade_on_empty_then_up_to_date(database_url: str, tmp_path: Path) -> None:
    env = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_DATABASE_URL": database_url}
    first = cli("db", "upgrade", "--format", "json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["changed"] is True
    second = cli("db", "upgrade", env=env)
    assert second.returncode == 0, second.stderr
    assert "is up to date" in second.stdout


def test_inventory_sync_stores_devices(setup: dict[str, str]) -> None:
    result = cli("inventory", "sync", "--format", "json", env=setup)
    assert result.returncode == 0, result.stderr
    assert Path(setup["OSS_AGENT_DATA_DIR"], "oss-agent.db").exists()  # it brings an agent into being: it creates
    assert json.loads(result.stdout) == {"added": ["pe1", "pe2"], "updated": [], "removed": []}
    assert json.loads(cli("inventory", "sync", "--format", "json", env=setup).stdout)["added"] == []


def test_usage_errors_exit_2() -> None:
    result = cli("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr


READS = [
    ["alarms", "list"],
    ["alarms", "ack", "1"],
    ["kpi", "show"],
    ["perf", "pe1"],
    ["config", "diff", "pe1"],
    ["topology", "export"],
    ["order", "list"],
    ["service", "list"],
    ["pool", "list"],
]


def test_a_command_on_a_missing_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    """A mistyped data directory (or URL) used to create an empty database and list nothing, exit 0."""
    data = tmp_path / "typo"
    for args in READS:
        result = cli(*args, env={"OSS_AGENT_DATA_DIR": str(data)})
        assert result.returncode == 1 and result.stdout == "", (args, result.stdout, result.stderr)
        said = result.stderr
        assert said.startswith(f"error: the database sqlite:///{data / 'oss-agent.db'} does not exist: "), said
        assert "oss-agent db upgrade" in said and "Traceback" not in said and len(said.strip().splitlines()) == 1
        assert not data.exists(), args  # neither the file nor its directory


def test_a_database_not_at_this_versions_schema_is_refused_and_left_as_it_is(database_url: str, tmp_path: Path) -> None:
    url = database_url.replace("//oss@", "//oss:pa55-w0rd@")  # the test PostgreSQL trusts: no password is checked
    env = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_DATABASE_URL": url}
    shown = f"error: the database {make_url(url).render_as_string(hide_password=True)}"
    database = tmp_path / "agent.db"
    if url.startswith("sqlite"):
        database.touch()
    said: list[str] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = cli(*args, env=env)
        said.extend((result.stdout, result.stderr))
        return result

    empty = run("alarms", "list")
    assert empty.returncode == 1 and empty.stderr.startswith(f"{shown} is empty: "), empty.stderr
    assert "oss-agent db upgrade" in empty.stderr
    if url.startswith("sqlite"):
        assert database.read_bytes() == b""  # not even switched to WAL
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, "0008_provisioning")  # an older version's
        older = run("kpi", "show")
        assert older.returncode == 1 and older.stdout == ""
        assert older.stderr.startswith(f"{shown} is at revision 0008_provisioning, older than this version's 0009")
        assert "upgrade it with 'oss-agent db upgrade'" in older.stderr
        assert migrate.current_revision(engine) == "0008_provisioning"
        assert run("db", "upgrade").returncode == 0
        assert run("alarms", "list", "--format", "json").stdout == "[]\n"
    finally:
        engine.dispose()
    assert "pa55-w0rd" not in "".join(said)
    if "pa55-w0rd" in url:
        assert ":***@" in "".join(said)


def test_config_diff_hides_secrets_and_still_shows_a_community_change(setup: dict[str, str]) -> None:
    """The stored versions keep the real text; what ``config diff`` shows hides each secret, and a
    change of the community alone is still a change."""
    from datetime import UTC, datetime

    from oss_agent.bootstrap import bootstrap
    from oss_agent.config import AgentSettings

    first = 'hostname pe1\nrocommunity 0ldC0mm default\ncreateUser lab SHA "Au7hP4ss" AES "Pr1vP4ss"\n'
    frr = "router bgp 65000\n neighbor 198.19.255.2 password Bgp5ecret\n"
    second = first.replace("0ldC0mm", "n3wC0mm")
    agent = bootstrap(AgentSettings(data_dir=Path(setup["OSS_AGENT_DATA_DIR"])), upgrade_schema=True)
    try:
        with agent.uow as uow:
            for text in (first, second, second + frr):
                uow.configs.add("pe1", text, text, "test", datetime.now(UTC))
            uow.commit()
    finally:
        agent.close()
    shown = cli("config", "diff", "pe1", "1", "2", env=setup)
    assert shown.returncode == 0, shown.stderr
    assert "-rocommunity <secret hidden> default" in shown.stdout
    assert "+rocommunity <secret hidden> default" in shown.stdout
    assert " createUser lab SHA <secret hidden> AES <secret hidden>" in shown.stdout
    as_json = cli("config", "diff", "pe1", "--format", "json", env=setup)
    assert as_json.returncode == 0, as_json.stderr
    assert "+ neighbor 198.19.255.2 password <secret hidden>" in json.loads(as_json.stdout)["diff"]
    said = shown.stdout + shown.stderr + as_json.stdout + as_json.stderr
    for secret in ("0ldC0mm", "n3wC0mm", "Au7hP4ss", "Pr1vP4ss", "Bgp5ecret"):
        assert secret not in said


@pytest.mark.postgres
def test_a_password_given_as_a_query_parameter_is_never_shown(postgres: PostgresServer, tmp_path: Path) -> None:
    """libpq takes ``?password=``, which SQLAlchemy's hide_password leaves as it is."""
    url = f"{postgres.create_database()}&password=qu3ry-pa55&sslpassword=k3y-pa55"  # trust: nothing is checked
    env = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_DATABASE_URL": url}
    empty = cli("alarms", "list", env=env)
    assert empty.returncode == 1 and " is empty: " in empty.stderr, empty.stderr
    assert "password=***" in empty.stderr and "sslpassword=***" in empty.stderr and "host=%2F" in empty.stderr
    missing = cli("kpi", "show", env={**env, "OSS_AGENT_DATABASE_URL": url.replace("/t_", "/missing_")})
    assert missing.returncode == 1 and "cannot open the database" in missing.stderr, missing.stderr
    upgraded = cli("db", "upgrade", "--format", "json", env=env)
    assert upgraded.returncode == 0 and "password=***" in json.loads(upgraded.stdout)["database"]
    said = empty.stdout + empty.stderr + missing.stdout + missing.stderr + upgraded.stdout + upgraded.stderr
    assert "qu3ry-pa55" not in said and "k3y-pa55" not in said
