"""Schemathesis over every operation of an API's OpenAPI document, for both wings' test_openapi:
what the document allows (and what it forbids) is sent to each operation and each answer checked
against the document (status codes, bodies, headers, content types, 5xx, the bearer token really
required). Bounded: ``examples`` per operation and mode, no deadline per example, derandomized."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode


def _check(
    operation: Any, mode: GenerationMode, headers: Mapping[str, str], examples: int, excluded: list[Any]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=dict(headers), excluded_checks=excluded)

    run()


def findings(
    schema: Any, headers: Mapping[str, str], examples: int, excluded: Callable[[str], list[Any]] = lambda label: []
) -> tuple[int, list[str]]:
    """How many operations the document has, and each one's findings (positive and negative cases),
    reported together; ``excluded``: the checks left out for an operation, by its label."""
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check(operation, mode, headers, examples, excluded(operation.label))
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return len(operations), failures
