"""BSS settings: what an error or the settings' repr say never quotes a secret."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from bss_bridge.config.settings import load_settings
from bss_bridge.errors import ConfigError

SECRET = "pw-5ecret-9d1"


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        (f"database_url: postgres://bss:{SECRET}@db/bss\n", {}),  # the usual typo of the scheme
        ("api_port: 1\n", {"OSS_AGENT_BSS_DATABASE_URL": f"mysql://bss:{SECRET}@db/bss"}),
        (f"oss_token: [{SECRET}]\n", {}),
        (f"oss_token: !!int {SECRET}\n", {}),  # unreadable: its place is said, not its value
        (f"database_url: postgresql://bss@db:5432x/bss?password={SECRET}\n", {}),  # not a port: not a URL
        ("api_port: 1\n", {"OSS_AGENT_BSS_DATABASE_URL": f"postgresql://bss@db:port/bss?password={SECRET}"}),
        ("api_port: 1\n", {"OSS_AGENT_BSS_OSS_URL": f"ftp://bss:{SECRET}@oss.example/"}),
        (f"oss_url: http://bss:{SECRET}@oss.example:8080\n", {}),  # would be in logs and 503s: oss_token instead
        ("api_port: 1\n", {"OSS_AGENT_BSS_PUBLIC_URL": f"https://bss:{SECRET}@bss.example/"}),
    ],
)
def test_a_settings_error_never_quotes_a_secret(tmp_path: Path, text: str, environ: dict[str, str]) -> None:
    path = tmp_path / "bss.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {"OSS_AGENT_DATA_DIR": str(tmp_path), **environ})
    assert str(caught.value).startswith((f"{path}:1: ", f"{path}:1:12: ", "environment: OSS_AGENT_BSS_"))
    assert SECRET not in "".join(traceback.format_exception(caught.value))  # what --debug prints too


def test_the_settings_repr_hides_the_database_password(tmp_path: Path) -> None:
    environ = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_BSS_DATABASE_URL": f"postgresql://bss:{SECRET}@db/bss"}
    settings = load_settings(None, environ)
    assert settings.database == f"postgresql://bss:{SECRET}@db/bss"
    assert SECRET not in repr(settings) and SECRET not in str(settings)


def test_an_unreadable_value_is_located_by_file_line_column_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bss.yaml"
    path.write_text("api_port: 1\napi_token: 2024-13-45\n")  # a date YAML cannot make: a token written unquoted
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {"OSS_AGENT_DATA_DIR": str(tmp_path)})
    assert (
        str(caught.value)
        == f"{path}:2:12: api_token: cannot read the value as timestamp (put it in quotes if it is text)"
    )
    assert "2024-13-45" not in "".join(traceback.format_exception(caught.value))
