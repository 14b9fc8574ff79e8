"""Agent settings: defaults, YAML file, environment overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from oss_agent.config import load_settings
from oss_agent.config.settings import AgentSettings
from oss_agent.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]


def test_shipped_agent_yaml_equals_the_built_in_defaults() -> None:
    from_file = load_settings(REPO / "config" / "agent.yaml", environ={})
    assert from_file == load_settings(None, environ={})


def test_database_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"OSS_AGENT_DATA_DIR": str(tmp_path)})
    assert settings.database == f"sqlite:///{tmp_path}/oss-agent.db"
    assert settings.inventory_path == tmp_path / "inventory.yaml"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("api_port: 9000\ntrap_port: 1162\ndata_dir: /srv/a\n")
    environ = {
        "OSS_AGENT_API_PORT": "9100",
        "OSS_AGENT_DATABASE_URL": "postgresql://oss@db/oss",
        "OSS_AGENT_API_TOKEN": "tok-secret",
    }
    settings = load_settings(path, environ)
    assert settings.api_port == 9100
    assert settings.trap_port == 1162
    assert settings.data_dir == Path("/srv/a")
    assert settings.database == "postgresql://oss@db/oss"
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "tok-secret"
    assert "tok-secret" not in repr(settings)


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("trap_port: 2162\n")
    assert load_settings(None, {"OSS_AGENT_CONFIG": str(path)}).trap_port == 2162


def test_api_token_as_a_secret_reference(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("api_token: {env: MY_TOKEN}\n")
    settings = load_settings(path, {"MY_TOKEN": "abc"})
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "abc"
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(caught.value) == f"{path}:1: api_token: environment variable MY_TOKEN is not set"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_port: 99999\n", ":1: api_port: Input should be less than or equal to 65535"),
        ("\n\ntrap_host: 300.1.1.1\n", ":3: trap_host: '300.1.1.1' is not an IP address"),
        ("poll_interval: 5\n", ":1: poll_interval: unknown setting"),
        ("database_url: mysql://x\n", ":1: database_url: only sqlite:/// and postgresql:// URLs"),
        ("log_level: LOUD\n", ":1: log_level:"),
        ("- a\n", ": the settings file must be a mapping"),
    ],
)
def test_bad_settings_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {"OSS_AGENT_TRAP_PORT": "not-a-port"})
    assert str(caught.value).startswith("environment: OSS_AGENT_TRAP_PORT:")


def test_every_setting_has_an_environment_variable() -> None:
    for name in AgentSettings.model_fields:
        value = {"data_dir": "/x", "database_url": "sqlite:///y", "api_host": "::1", "trap_host": "::"}.get(name)
        if value is None:
            continue
        assert getattr(load_settings(None, {f"OSS_AGENT_{name.upper()}": value}), name) is not None


# What a settings error says, and its traceback (``--debug``), never quotes a secret that was written.
SECRET = "pw-5ecret-9d1"


def _everything_said(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc))


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        (f"database_url: postgres://oss:{SECRET}@db/oss\n", {}),  # the usual typo of the scheme
        ("api_port: 1\n", {"OSS_AGENT_DATABASE_URL": f"mysql://oss:{SECRET}@db/oss"}),
        (f"api_token: {{value: {SECRET}}}\n", {}),  # a literal where a reference belongs
        (f"api_token: {{env: T, file: {SECRET}}}\n", {}),
        (f"api_token: [{SECRET}]\n", {}),
        (f"api_token: !!int {SECRET}\n", {}),  # unreadable: its place is said, not its value
        (f"database_url: postgresql://oss@db:5432x/oss?password={SECRET}\n", {}),  # not a port: not a URL
        ("api_port: 1\n", {"OSS_AGENT_DATABASE_URL": f"postgresql://oss@db:port/oss?password={SECRET}"}),
    ],
)
def test_a_settings_error_never_quotes_a_secret(tmp_path: Path, text: str, environ: dict[str, str]) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ)
    assert str(caught.value).startswith((f"{path}:1: ", f"{path}:1:12: ", "environment: OSS_AGENT_DATABASE_URL: "))
    assert SECRET not in _everything_said(caught.value)


def test_a_literal_token_in_place_of_a_reference_says_which_key_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(f"api_token: {{value: {SECRET}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(caught.value) == (
        f"{path}:1: api_token: value: unknown key (a secret reference is {{env: NAME}} or {{file: PATH}})"
    )


def test_the_settings_repr_hides_the_database_password() -> None:
    settings = load_settings(None, {"OSS_AGENT_DATABASE_URL": f"postgresql://oss:{SECRET}@db/oss"})
    assert settings.database == f"postgresql://oss:{SECRET}@db/oss"
    assert SECRET not in repr(settings) and SECRET not in str(settings)


def test_a_secret_reference_error_never_quotes_what_was_written() -> None:
    from pydantic import ValidationError

    from oss_agent.config.secrets import SecretRef

    with pytest.raises(ValidationError) as caught:
        SecretRef(value=SECRET)  # type: ignore[call-arg]
    assert SECRET not in str(caught.value)
