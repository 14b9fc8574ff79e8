"""Each wing, as a process starts it: the secrets it reads are remembered where they are read (a
device's password resolved from the inventory's reference, the settings' tokens, the database
URL's password) and its bootstrap masks every log record from then on, its own and its libraries'.
In a child process each, so the check starts from a process that has masked nothing yet."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import secrecy

AGENT = """
import logging, sys
from pathlib import Path
from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings
from oss_agent.config.secrets import SecretRef
from oss_agent.provisioning import engine
from oss_agent.storage.engine import make_engine

data, token, device_password, database_password, other_key = sys.argv[1:6]
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s: %(message)s")
logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
bootstrap(AgentSettings(data_dir=Path(data), api_token=token), upgrade_schema=True)
SecretRef(env="DEVICE_PASSWORD").resolve({"DEVICE_PASSWORD": device_password})  # as the inventory reads it
make_engine(f"postgresql://oss:{database_password}@127.0.0.1:1/oss")  # made, not connected
logging.getLogger("oss_agent.provisioning.engine").error(
    "unexpected failure while preparing: %r", RuntimeError(f"the device echoed {device_password}")
)
reply = f"<key-string><keystring>{other_key}</keystring></key-string>"
logging.getLogger("ncclient.transport.ssh").debug("Received:\\n%s", reply)
logging.getLogger("netmiko").debug("read_channel: %s", f"ip ospf message-digest-key 1 md5 {other_key}")
logging.getLogger("sqlalchemy.pool").error(f"could not reach postgresql://oss:{database_password}@127.0.0.1:1/oss")
logging.getLogger("httpx").info("sent Authorization: Bearer %s", token)
try:
    raise ConnectionError(f"login with {device_password} refused")
except ConnectionError:
    logging.getLogger("oss_agent").exception("a poll failed")
print("stored reason:", engine._reason(RuntimeError(f"refused {device_password}")))
"""

BSS = """
import logging, sys
from pathlib import Path
from bss_bridge.bootstrap import bootstrap
from bss_bridge.config.settings import BssSettings
from bss_bridge.storage.engine import engine_for

data, token, oss_token, database_password = sys.argv[1:5]
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s: %(message)s")
logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
settings = BssSettings(
    data_dir=Path(data), database_url=f"sqlite:///{data}/bss.db", api_token=token, oss_token=oss_token, oss_url=None
)
bss = bootstrap(settings, upgrade_schema=True)
engine_for(f"postgresql://bss:{database_password}@127.0.0.1:1/bss")  # made, not connected
logging.getLogger("httpx").info("GET %s with Bearer %s", "http://127.0.0.1:8080/x", oss_token)
logging.getLogger("bss_bridge.bridge").warning("the OSS refused %r", {"token": token})
logging.getLogger("sqlalchemy.pool").error("could not reach %s", f"postgresql://bss:{database_password}@127.0.0.1:1/bss")
bss.close()
"""


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def secret(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def test_the_agent_logs_and_stores_no_secret_it_read_nor_a_configuration_key(tmp_path: Path) -> None:
    values = [secret("token"), secret("device"), secret("database"), secret("other")]
    out = run(AGENT, str(tmp_path), *values)
    assert [v for v in values if v in out] == [], out
    assert out.count(secrecy.HIDDEN) + out.count("&lt;secret hidden&gt;") == 7, out
    assert "stored reason: refused <secret hidden>" in out
    assert "Traceback" in out and "ConnectionError: login with <secret hidden> refused" in out


def test_the_bss_logs_no_token_nor_database_password(tmp_path: Path) -> None:
    values = [secret("token"), secret("osstoken"), secret("database")]
    out = run(BSS, str(tmp_path), *values)
    assert [v for v in values if v in out] == [], out
    assert out.count(secrecy.HIDDEN) == 3, out


@pytest.mark.parametrize("cli", ["oss_agent.entrypoints.cli", "bss_bridge.entrypoints.cli"])
def test_either_cli_prints_an_unexpected_error_and_its_traceback_without_a_secret(
    cli: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error no layer translated, as the console script shows it (``--debug``: with its traceback)."""
    module = importlib.import_module(cli)
    password = secret("pw")
    secrecy.remember(password)

    def app(**_: object) -> None:
        raise RuntimeError(f"no db at u:{password}@h")

    monkeypatch.setattr(module, "app", app)
    monkeypatch.setattr(module.STATE, "debug", True)
    assert module.main([]) == 1
    err = capsys.readouterr().err
    assert password not in err
    assert "unexpected RuntimeError: no db at u:<secret hidden>@h" in err and "Traceback" in err
