"""The dependency rules between the packages, checked on the source (AST), with proof that the
check fails when someone adds a forbidden import.

Rules:
- ``adapters`` imports nothing of this project;
- ``lab`` imports nothing of this project (it is a standalone lab builder);
- ``webui`` (the console kit both wings build their pages on) imports nothing of this project;
- ``secrecy`` (the secret values kept out of logs) imports only the standard library, and every
  package may import it (``adapters``, ``lab`` and ``webui`` too);
- ``oss_agent`` never imports ``bss_bridge``; only its entry points may use ``lab``, and nothing below
  the entry points imports them (provisioning renders TMF shapes itself, the API only serves them);
- ``oss_agent.domain`` and ``bss_bridge.domain`` import only the standard library (and themselves);
- ``bss_bridge`` never imports ``oss_agent`` nor ``lab`` at all (the two sides talk only through TMF
  APIs and their hubs: the bridge reaches the OSS over HTTP) and names no OSS table in a string of
  its code (docstrings are prose: "the alarms a service rides" names no table);
- ``bss_bridge.bridge`` keeps its own state in its stores (``bridge_store``, ``incident_store``) and
  changes the rest of the BSS through its service layer: no other BSS storage, no entry point.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("adapters", "oss_agent", "bss_bridge", "lab", "webui", "secrecy")
OURS = frozenset(PACKAGES)
# Each wing's domain may import only the standard library and itself.
DOMAINS = ("oss_agent.domain", "bss_bridge.domain")


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.rule}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            found += [(f"{target}.{alias.name}" if target else alias.name, node.lineno) for alias in node.names]
    return found


def _type_checking_only(tree: ast.AST, line: int) -> bool:
    """True when the import on ``line`` sits under ``if TYPE_CHECKING:`` (no run-time dependency)."""
    return any(
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
        and any(getattr(child, "lineno", -1) == line for child in ast.walk(node))
        for node in ast.walk(tree)
    )


def oss_table_names() -> set[str]:
    from oss_agent.storage.schema import Base

    return set(Base.metadata.tables)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return found


# What the bridge keeps of its own (``bss_bridge/bridge`` reads and changes the rest of the BSS
# through its service layer, and the OSS only over HTTP).
BRIDGE_STORES = ("bss_bridge.storage.bridge_store", "bss_bridge.storage.incident_store")


def check(root: Path) -> list[Violation]:
    tables = oss_table_names()
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    violations: list[Violation] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(root, path)
            tree = ast.parse(path.read_text(), str(path))
            for target, line in imports_of(tree, module, path.name == "__init__.py"):
                top = target.split(".")[0]
                if package in ("adapters", "lab", "webui") and top in OURS and top not in (package, "secrecy"):
                    violations.append(Violation(module, line, f"{package} must not import {target}"))
                if package == "secrecy" and top not in stdlib and top != package:
                    violations.append(Violation(module, line, f"secrecy may import only the stdlib, not {target}"))
                if package == "oss_agent" and top == "bss_bridge":
                    violations.append(Violation(module, line, f"oss_agent must not import {target}"))
                if package == "oss_agent" and top == "lab" and not module.startswith("oss_agent.entrypoints"):
                    violations.append(Violation(module, line, f"only entry points may import {target}"))
                if (
                    target.startswith("oss_agent.entrypoints")
                    and not module.startswith("oss_agent.entrypoints")
                    and not _type_checking_only(tree, line)
                ):
                    violations.append(Violation(module, line, f"only entry points may import {target}"))
                domain = next((d for d in DOMAINS if module == d or module.startswith(f"{d}.")), None)
                if domain and top not in stdlib and not (target == domain or target.startswith(f"{domain}.")):
                    violations.append(Violation(module, line, f"the domain may import only the stdlib, not {target}"))
                if (
                    module.startswith("oss_agent.storage")
                    and top == "oss_agent"
                    and target != "oss_agent"  # ``from oss_agent import x`` is judged by ``oss_agent.x``
                    and not target.startswith(("oss_agent.domain", "oss_agent.errors", "oss_agent.storage"))
                ):
                    violations.append(Violation(module, line, f"storage may import only the domain, not {target}"))
                if package == "bss_bridge" and top in ("oss_agent", "lab"):
                    violations.append(Violation(module, line, f"bss_bridge must not import {target}"))
                if module.startswith("bss_bridge.bridge") and (
                    target.startswith("bss_bridge.entrypoints")
                    or (target.startswith("bss_bridge.storage") and not target.startswith(BRIDGE_STORES))
                ):
                    violations.append(
                        Violation(module, line, f"the bridge changes the BSS by its service layer: {target}")
                    )
            if package == "bss_bridge":
                prose = _docstrings(tree)
                for node in ast.walk(tree):
                    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
                        words = set(node.value.replace('"', " ").replace(",", " ").split())
                        for table in sorted(words & tables):
                            violations.append(Violation(module, node.lineno, f"bss_bridge names OSS table {table}"))
    return violations


def test_the_project_follows_the_dependency_rules() -> None:
    assert [str(v) for v in check(REPO)] == []


@pytest.mark.parametrize(
    ("file", "source", "rule"),
    [
        ("adapters/evil.py", "from oss_agent.bootstrap import bootstrap\n", "adapters must not import"),
        ("adapters/evil.py", "from .. import oss_agent\n", "adapters must not import"),
        ("lab/evil.py", "import adapters\n", "lab must not import"),
        ("webui/evil.py", "from oss_agent.bootstrap import Agent\n", "webui must not import"),
        ("webui/evil.py", "import bss_bridge\n", "webui must not import"),
        ("secrecy/evil.py", "from adapters.redact import mask_message\n", "secrecy may import only the stdlib"),
        ("secrecy/evil.py", "import sqlalchemy\n", "secrecy may import only the stdlib"),
        ("oss_agent/evil.py", "import bss_bridge.core\n", "oss_agent must not import"),
        ("oss_agent/service_layer/evil.py", "from lab import up\n", "only entry points may import"),
        ("oss_agent/provisioning/evil.py", "from oss_agent.entrypoints import api\n", "only entry points may import"),
        ("oss_agent/domain/evil.py", "import sqlalchemy\n", "the domain may import only the stdlib"),
        ("oss_agent/domain/evil.py", "from adapters import Secret\n", "the domain may import only the stdlib"),
        ("oss_agent/storage/evil.py", "from oss_agent.fault.hub import tmf639\n", "storage may import only"),
        ("oss_agent/storage/evil.py", "from oss_agent import service_layer\n", "storage may import only"),
        ("bss_bridge/evil.py", "from oss_agent.storage.orm import DeviceRow\n", "bss_bridge must not import"),
        ("bss_bridge/evil.py", "from oss_agent.domain.commands import Command\n", "bss_bridge must not import"),
        ("bss_bridge/entrypoints/evil.py", "import oss_agent\n", "bss_bridge must not import"),
        ("bss_bridge/domain/evil.py", "from bss_bridge.storage import x\n", "the domain may import only the stdlib"),
        ("bss_bridge/domain/evil.py", "from .. import bootstrap\n", "the domain may import only the stdlib"),
        ("bss_bridge/domain/evil.py", "import sqlalchemy\n", "the domain may import only the stdlib"),
        ("bss_bridge/domain/billing/evil.py", "from bss_bridge.storage import Row\n", "the domain may import only"),
        ("bss_bridge/domain/billing/evil.py", "from ...service_layer import bus\n", "the domain may import only"),
        ("bss_bridge/domain/evil.py", "from oss_agent.domain.model import Device\n", "the domain may import only"),
        ("bss_bridge/evil.py", "SQL = 'SELECT * FROM alarms'\n", "names OSS table alarms"),
        ("bss_bridge/bridge/evil.py", "from lab import up\n", "bss_bridge must not import"),
        ("bss_bridge/bridge/evil.py", "from bss_bridge.storage.tables import SubscriptionRow\n", "service layer"),
        ("bss_bridge/bridge/evil.py", "from ..entrypoints import bridge_server\n", "service layer"),
        ("bss_bridge/evil.py", '"""Prose."""\ndef f():\n    """Prose."""\n    return "services"\n', "names OSS table"),
    ],
)
def test_a_forbidden_import_in_a_synthetic_module_is_caught(tmp_path: Path, file: str, source: str, rule: str) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    target = tmp_path / file
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / "__init__.py").touch()
    target.write_text(source)
    violations = check(tmp_path)
    assert len(violations) >= 1
    assert all(v.module == module_name(tmp_path, target) for v in violations)
    assert any(rule in v.rule for v in violations), violations


def test_allowed_imports_are_not_flagged(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "oss_agent" / "domain").mkdir()
    (tmp_path / "oss_agent" / "domain" / "ok.py").write_text("import dataclasses\nfrom oss_agent.domain import x\n")
    (tmp_path / "oss_agent" / "ok.py").write_text("import adapters\nimport sqlalchemy\n")
    (tmp_path / "bss_bridge" / "ok.py").write_text("import httpx\nfrom bss_bridge.domain import money\n")
    (tmp_path / "bss_bridge" / "console.py").write_text("import webui\n")
    (tmp_path / "bss_bridge" / "prose.py").write_text('"""The alarms and services a bridge reads."""\n')
    (tmp_path / "bss_bridge" / "bridge").mkdir()
    (tmp_path / "bss_bridge" / "bridge" / "ok.py").write_text(
        "from bss_bridge.storage.bridge_store import BridgeStore\nfrom bss_bridge.service_layer import unit_of_work\n"
    )
    (tmp_path / "oss_agent" / "web.py").write_text("from webui import Console\n")
    (tmp_path / "adapters" / "ok.py").write_text("import secrecy\n")
    (tmp_path / "webui" / "ok.py").write_text("from secrecy import hide\n")
    (tmp_path / "secrecy" / "ok.py").write_text("import logging\nfrom secrecy import HIDDEN\n")
    (tmp_path / "bss_bridge" / "domain" / "billing").mkdir(parents=True)
    (tmp_path / "bss_bridge" / "domain" / "ok.py").write_text("import decimal\nfrom .money import round_money\n")
    (tmp_path / "bss_bridge" / "domain" / "billing" / "ok.py").write_text(
        "from zoneinfo import ZoneInfo\nfrom bss_bridge.domain.money import round_money\nfrom ..pricing import Tier\n"
    )
    assert check(tmp_path) == []
