"""The service catalog read from ``config/services``: specifications, pools and Jinja2 templates.

``catalog.yaml`` holds the network's constants and the pools; every other ``*.yaml`` is one service
specification; templates live under ``templates/``. Everything is checked when the catalog loads
(each template compiles, each pool a specification names exists, each check kind is known), and
every problem is reported with its file and line, so a broken catalog never reaches a device.

Templates render with undefined names as errors; every value they print must be one line (a value
with a line break could add configuration), and XML templates escape what they print.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from oss_agent.config.yamlsrc import LocatedYaml, PathKey, load_located
from oss_agent.domain.catalog import (
    CHECK_KINDS,
    CharacteristicSpec,
    CheckSpec,
    EndpointSpec,
    ServiceSpec,
    UsageSpec,
    Value,
    ValueType,
)
from oss_agent.domain.errors import DomainError, NotFoundError
from oss_agent.domain.pools import PoolSpec
from oss_agent.domain.usage import MEASURES
from oss_agent.errors import ConfigError, ConfigProblem

ROLES = ("pe", "ce")
PLATFORMS = ("frr", "linux", "netconf")


class TemplateRenderError(DomainError):
    """A template could not render (a value missing, or a value that spans lines)."""


def _one_line(value: Any) -> Any:
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise TemplateRenderError(f"a value with a line break may not be rendered into configuration: {value!r}")
    return value


def _environment(directory: Path, xml: bool) -> jinja2.Environment:
    # CLI templates are not HTML: escaping would corrupt them; values are checked instead (finalize)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        autoescape=xml,  # noqa: S701
        finalize=_one_line,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass
class Catalog:
    directory: Path
    specs: dict[str, ServiceSpec]
    pools: dict[str, PoolSpec]
    network: dict[str, Value]

    def __post_init__(self) -> None:
        templates = self.directory / "templates"
        self._cli = _environment(templates, xml=False)
        self._xml = _environment(templates, xml=True)
        self._texts: dict[str, jinja2.Template] = {}  # check parameters, compiled once (~1 ms each)

    def spec(self, spec_id: str) -> ServiceSpec:
        spec = self.specs.get(spec_id)
        if spec is None:
            raise NotFoundError(f"unknown service specification {spec_id!r} (known: {', '.join(sorted(self.specs))})")
        return spec

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        environment = self._xml if template.endswith(".xml.j2") else self._cli
        try:
            text = environment.get_template(template).render(**context)
        except jinja2.UndefinedError as exc:
            raise TemplateRenderError(f"{template}: {exc.message}") from exc
        # blank lines carry nothing in either syntax; keep renderings stable
        return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()) + "\n"

    def render_text(self, text: str, context: Mapping[str, Any]) -> str:
        """A check parameter (a one-line template in a specification)."""
        try:
            compiled = self._texts.get(text)
            if compiled is None:
                compiled = self._texts[text] = self._cli.from_string(text)
            return str(compiled.render(**context)).strip()
        except jinja2.UndefinedError as exc:
            raise TemplateRenderError(f"{text!r}: {exc.message}") from exc


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[ConfigProblem] = []

    def fail(self, doc: LocatedYaml, path: PathKey, message: str) -> None:
        self.problems.append(doc.problem(path, message))

    def load(self) -> Catalog:
        shared = self.directory / "catalog.yaml"
        if not shared.is_file():
            raise ConfigError([ConfigProblem(str(shared), "", "the catalog needs this file (network and pools)")])
        doc = load_located(shared)
        data = doc.data if isinstance(doc.data, dict) else {}
        network = data.get("network") or {}
        if not isinstance(network, dict):
            self.fail(doc, ("network",), "must be a mapping")
            network = {}
        pools: dict[str, PoolSpec] = {}
        for name, raw in (data.get("pools") or {}).items():
            try:
                pools[name] = PoolSpec(
                    name=name,
                    kind=str(raw.get("kind", "")),
                    prefix=str(raw.get("prefix", "")),
                    size=int(raw.get("size", 0)),
                    first=int(raw.get("first", 0)),
                    last=int(raw.get("last", 0)),
                    description=str(raw.get("description", "")),
                )
            except (DomainError, ValueError, AttributeError, TypeError) as exc:
                self.fail(doc, ("pools", name), str(exc))
        specs: dict[str, ServiceSpec] = {}
        for path in sorted(self.directory.glob("*.yaml")):
            if path.name == "catalog.yaml":
                continue
            spec = self.spec(load_located(path), pools)
            if spec is not None:
                specs[spec.id] = spec
        if self.problems:
            raise ConfigError(self.problems)
        return Catalog(self.directory, specs, pools, {str(k): v for k, v in network.items()})

    def spec(self, doc: LocatedYaml, pools: Mapping[str, PoolSpec]) -> ServiceSpec | None:
        data = doc.data
        if not isinstance(data, dict):
            self.fail(doc, (), "a service specification must be a mapping")
            return None
        before = len(self.problems)
        for key in ("id", "name", "characteristics", "endpoints", "templates"):
            if key not in data:
                self.fail(doc, (key,), "missing required field")
        if len(self.problems) > before:
            return None
        characteristics = []
        for index, raw in enumerate(data["characteristics"] or []):
            try:
                characteristics.append(
                    CharacteristicSpec(
                        name=str(raw["name"]),
                        value_type=ValueType(raw.get("type", "string")),
                        description=str(raw.get("description", "")),
                        required=bool(raw.get("required", True)),
                        default=raw.get("default"),
                        minimum=raw.get("minimum"),
                        maximum=raw.get("maximum"),
                        max_length=int(raw.get("max_length", 64)),
                        values=tuple(str(v) for v in raw.get("values") or ()),
                        modifiable=bool(raw.get("modifiable", True)),
                    )
                )
            except (KeyError, ValueError, TypeError) as exc:
                self.fail(doc, ("characteristics", index), f"bad characteristic: {exc}")
        names = {c.name for c in characteristics}
        endpoints = []
        for name, raw in (data["endpoints"] or {}).items():
            site, lan = str(raw.get("site", "")), str(raw.get("lan", ""))
            for key, value in (("site", site), ("lan", lan)):
                if value not in names:
                    self.fail(doc, ("endpoints", name, key), f"names no characteristic ({value!r})")
            endpoints.append(EndpointSpec(str(name), site, lan))
        spec_pools = tuple((str(purpose), str(pool)) for purpose, pool in (data.get("pools") or {}).items())
        for purpose, pool in spec_pools:
            if pool not in pools:
                self.fail(doc, ("pools", purpose), f"unknown pool {pool!r} (catalog.yaml has {sorted(pools)})")
        templates: dict[str, dict[str, str]] = {}
        for role, by_platform in (data["templates"] or {}).items():
            if role not in ROLES:
                self.fail(doc, ("templates", role), f"unknown role (roles: {', '.join(ROLES)})")
                continue
            for platform, file in (by_platform or {}).items():
                if platform not in PLATFORMS:
                    self.fail(doc, ("templates", role, platform), f"unknown platform (known: {', '.join(PLATFORMS)})")
                    continue
                self.template(doc, ("templates", role, platform), str(file))
                templates.setdefault(role, {})[platform] = str(file)
        checks = []
        for index, raw in enumerate(data.get("checks") or []):
            kind = str(raw.get("kind", ""))
            if kind not in CHECK_KINDS:
                self.fail(
                    doc, ("checks", index, "kind"), f"unknown check kind (known: {', '.join(sorted(CHECK_KINDS))})"
                )
                continue
            params = tuple((str(k), str(v)) for k, v in raw.items() if k not in ("kind", "role", "per_peer"))
            checks.append(CheckSpec(kind, str(raw.get("role", "")), params, bool(raw.get("per_peer", False))))
        usage = self.usage(doc, data.get("usage"))
        if len(self.problems) > before:
            return None
        return ServiceSpec(
            id=str(data["id"]),
            name=str(data["name"]),
            description=str(data.get("description", "")),
            version=str(data.get("version", "1.0")),
            characteristics=tuple(characteristics),
            endpoints=tuple(endpoints),
            pools=spec_pools,
            templates=templates,
            checks=tuple(checks),
            category=str(data.get("category", "")),
            constants={str(k): v for k, v in (data.get("constants") or {}).items()},
            usage=usage,
        )

    def usage(self, doc: LocatedYaml, raw: Any) -> UsageSpec:
        """``usage: {measure: pe|ce, rateSamples: true|false}``; both optional (pe, no rate samples)."""
        if raw is None:
            return UsageSpec()
        if not isinstance(raw, dict):
            self.fail(doc, ("usage",), "must be a mapping (measure, rateSamples)")
            return UsageSpec()
        for key in sorted(set(raw) - {"measure", "rateSamples"}):
            self.fail(doc, ("usage", key), "unknown key (known: measure, rateSamples)")
        measure, rates = raw.get("measure", "pe"), raw.get("rateSamples", False)
        if measure not in MEASURES:
            self.fail(doc, ("usage", "measure"), f"must be one of {', '.join(MEASURES)}, got {measure!r}")
        if not isinstance(rates, bool):
            self.fail(doc, ("usage", "rateSamples"), f"must be true or false, got {rates!r}")
        return UsageSpec(str(measure), rates is True)

    def template(self, doc: LocatedYaml, path: PathKey, file: str) -> None:
        environment = _environment(self.directory / "templates", xml=file.endswith(".xml.j2"))
        try:
            environment.get_template(file)
        except jinja2.TemplateNotFound:
            self.fail(doc, path, f"template {file} not found under {self.directory / 'templates'}")
        except jinja2.TemplateSyntaxError as exc:
            self.fail(doc, path, f"template {file} line {exc.lineno}: {exc.message}")


def load_catalog(directory: Path) -> Catalog:
    """The catalog in ``directory``, or :class:`ConfigError` naming every problem (file, line, field)."""
    if not directory.is_dir():
        raise ConfigError([ConfigProblem(str(directory), "", "no service catalog directory here")])
    return _Loader(directory).load()


def default_catalog_dir() -> Path:
    """``/etc/oss-agent/services`` when it exists, else the catalog shipped in the checkout's ``config/``."""
    system = Path("/etc/oss-agent/services")
    if system.is_dir():
        return system
    return Path(__file__).resolve().parents[2] / "config" / "services"
