"""The configuration YAML reader: safe_load's values, lines on demand, and hostile files refused with file and line."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oss_agent.config.yamlsrc import MAX_DEPTH, allowed_alias_ratio, load_located
from oss_agent.errors import ConfigError

# Ten lines: nine levels of anchors, ten aliases each; expanded, 10**9 strings.
ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{name}: &{name} [{','.join([f'*{prev}'] * 10)}]\n" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + f"devices: [{','.join(['*i'] * 10)}]\n"
)
OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")
DEEP = "devices: " + "[" * 20_000 + "]" * 20_000 + "\n"


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problem(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_located(path)
    (only,) = caught.value.problems
    return str(only)


SAMPLES = [
    "",
    "# only a comment\n",
    "a: 1\nb: [1, 2.5, true, null, ~, 0x1f, 0o17, 1_000, 2001-12-14, '3', \"x\"]\nc: {d: e}\n",
    "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nboth:\n  <<: [*b, {x: 9, z: 9}]\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\nempty:\nyes: no\n",
    "- a\n- [b, [c, {d: [e]}]]\n",
    "!!str 12: !!int '7'\nx: !!float 1\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_values_are_what_safe_load_gives(tmp_path: Path, text: str) -> None:
    assert load_located(write(tmp_path, text)).data == yaml.safe_load(text)


def test_an_alias_is_shared_not_copied(tmp_path: Path) -> None:
    data = load_located(write(tmp_path, "a: &s {community: {env: X}}\nb: *s\nc: *s\n")).data
    assert data["b"] is data["a"] and data["c"] is data["a"]


def test_lines_of_paths_and_their_nearest_written_parent(tmp_path: Path) -> None:
    text = "defaults:\n  site: lab\ndevices:\n  - name: pe1\n    snmp:\n      port: 161\n  - {name: pe2}\n"
    doc = load_located(write(tmp_path, text))
    lines = doc.lines(
        [
            ("defaults", "site"),
            ("devices", 0),
            ("devices", 0, "snmp", "port"),
            ("devices", 0, "snmp", "community"),  # not written: its parent's line
            ("devices", 1, "name"),
            ("nosuch", "thing"),  # nothing written: the document's own line
        ]
    )
    assert list(lines.values()) == [2, 4, 6, 5, 7, 1]
    assert doc.has(("devices", 1, "name")) and not doc.has(("devices", 2))


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
        ("a: 1\n---\nb: 2\n", 2, "expected one YAML document"),
        ("a: !!python/object:os.system x\n", 1, "unsupported YAML tag"),
        ("a: !!set {x}\n", 1, "unsupported YAML tag"),
        ("a: !!int nope\n", 1, "a: cannot read the value as int (put it in quotes if it is text)"),
        ("a: &x [1, *x]\n", 1, "alias *x names no complete anchor"),
        ("a: 1\nb: *nowhere\n", 2, "alias *nowhere names no complete anchor"),
        ("? [1, 2]\n: x\n", 1, "a mapping key must be a scalar"),
        ("a:\n  b: [1, 2\n", 3, "YAML syntax error"),
        ("a: {<<: 3}\n", 1, "a merge key (<<) takes a mapping"),
    ],
)
def test_bad_documents_are_refused_with_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, text)
    found = problem(path)
    assert found.startswith(f"{path}:{line}:"), found
    assert fragment in found


def test_nesting_is_bounded(tmp_path: Path) -> None:
    inner = MAX_DEPTH - 1  # inside the top-level mapping
    ok = "a: " + "[" * inner + "]" * inner + "\n"
    assert load_located(write(tmp_path, ok)).data is not None
    too_deep = "a: " + "[" * (inner + 1) + "]" * (inner + 1) + "\n"
    assert f"nested deeper than {MAX_DEPTH} levels" in problem(write(tmp_path, too_deep))


def test_alias_ratio_follows_go_yaml() -> None:
    assert allowed_alias_ratio(1000) == 0.99
    assert allowed_alias_ratio(4_000_000) == allowed_alias_ratio(10**9) == 0.10
    assert 0.10 < allowed_alias_ratio(2_200_000) < 0.99


def test_reasonable_sharing_through_aliases_is_allowed(tmp_path: Path) -> None:
    """A shared access block used by every device: aliases are most of the values, and that is fine."""
    devices = "".join(f"  - {{name: d{i}, snmp: *snmp}}\n" for i in range(2000))
    text = f"defaults:\n  snmp: &snmp {{version: v2c, port: 161, community: {{env: C}}}}\ndevices:\n{devices}"
    data = load_located(write(tmp_path, text)).data
    assert data["devices"][1999]["snmp"]["port"] == 161


def _limit_memory() -> None:
    limit = 1 << 30  # 1 GiB of address space: the old reader died of MemoryError after 3.1 GB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [(ALIAS_BOMB, 4, "excessive aliasing"), (DEEP, 1, "nest")],  # libyaml or our own depth limit
    ids=["alias-bomb", "20000-nested-lists"],
)
def test_hostile_files_are_refused_quickly_in_bounded_memory(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    """Through the CLI, in a process limited to 1 GiB and 60 s: a refusal naming the file and line,
    not MemoryError or RecursionError (the subprocess keeps a regression from eating the machine)."""
    path = write(tmp_path, text, "inventory.yaml")
    env = {**os.environ, "OSS_AGENT_DATA_DIR": str(tmp_path), "COLUMNS": "300"}
    done = subprocess.run(
        [OSS_AGENT, "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        preexec_fn=_limit_memory,  # a resource limit, set before exec
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"{path}:{line}:" in done.stderr and fragment in done.stderr, done.stderr
    assert "unexpected" not in done.stderr
