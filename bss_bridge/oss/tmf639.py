"""Asks the OSS's TMF639 resource inventory whether each device and site an order names exists.

A device is the TMF639 resource with that id (``GET /resource/{id}``); a site exists when a device
resource carries the characteristic ``site`` with that value. Answers are cached per call only:
one order asks about each value once. Any failure to get an answer (refused, timed out, 5xx, a
401 for a wrong token) is an :class:`OssUnavailableError` naming the URL, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from bss_bridge.domain.catalog import ResourceKind
from bss_bridge.domain.requests import ResourceCheck
from bss_bridge.errors import OssUnavailableError

logger = logging.getLogger(__name__)


class Tmf639Inventory:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self.timeout_s = timeout_s
        self._transport = transport

    async def missing(self, checks: Sequence[ResourceCheck]) -> list[ResourceCheck]:
        if not checks:
            return []
        answers: dict[tuple[ResourceKind, str], bool] = {}
        async with httpx.AsyncClient(
            timeout=self.timeout_s, transport=self._transport, headers=self._headers
        ) as client:
            for check in checks:
                key = (check.kind, check.value)
                if key not in answers:
                    answers[key] = await self._exists(client, check.kind, check.value)
        return [c for c in checks if not answers[(c.kind, c.value)]]

    async def _get(self, client: httpx.AsyncClient, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            response = await client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise OssUnavailableError(
                f"the OSS resource inventory at {self.base_url} did not answer: {type(exc).__name__}"
            ) from exc
        if response.status_code in (401, 403):
            raise OssUnavailableError(
                f"the OSS resource inventory at {self.base_url} refused our token (HTTP {response.status_code})"
            )
        if response.status_code != 404 and not response.is_success:
            raise OssUnavailableError(
                f"the OSS resource inventory at {self.base_url} answered HTTP {response.status_code}"
            )
        return response

    async def _exists(self, client: httpx.AsyncClient, kind: ResourceKind, value: str) -> bool:
        if kind is ResourceKind.DEVICE:
            response = await self._get(client, f"/resource/{quote(value, safe='')}", {"fields": "id,category"})
            return response.status_code == 200 and self._json(response).get("category") == "device"
        response = await self._get(
            client,
            "/resource",
            {"category": "device", "resourceCharacteristic.value": value, "fields": "resourceCharacteristic"},
        )
        resources = self._json(response) if response.status_code == 200 else []
        return any(
            c.get("name") == "site" and c.get("value") == value
            for resource in resources
            if isinstance(resource, dict)
            for c in resource.get("resourceCharacteristic", [])
            if isinstance(c, dict)
        )

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise OssUnavailableError(
                f"the OSS resource inventory at {self.base_url} answered something that is not JSON"
            ) from exc


class UncheckedInventory:
    """No OSS configured (``oss_url: null``): nothing can be checked, so nothing is refused. Logged
    once, so an operator running the BSS alone knows no site or device was checked."""

    def __init__(self) -> None:
        self._warned = False

    async def missing(self, checks: Sequence[ResourceCheck]) -> list[ResourceCheck]:
        if checks and not self._warned:
            logger.warning(
                "no OSS resource inventory configured (oss_url): no site or device an order names is checked"
            )
            self._warned = True
        return []
