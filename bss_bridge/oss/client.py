"""The TMF APIs the bridge speaks over HTTP: the OSS's TMF641 (service orders), TMF638 (services),
TMF633 (service specifications), TMF642 (alarms) and TMF635 (usage), and the event hubs of both
sides (the BSS's own hubs are reached over its API too, the way an external bridge would).

One :class:`TmfClient` per API origin keeps its connections open. A failure to get an answer
(refused, timed out, a 5xx, a token refused) is an :class:`OssUnavailableError` naming the URL and
never the token: the caller retries later. A 4xx other than 401/403/404 is an answer (the request
itself was refused) and is returned to the caller, who decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bss_bridge.errors import OssUnavailableError

ORDERING = "/tmf-api/serviceOrdering/v4"
INVENTORY = "/tmf-api/serviceInventory/v4"
SERVICE_CATALOG = "/tmf-api/serviceCatalogManagement/v4"
ALARM = "/tmf-api/alarm/v4"
USAGE = "/tmf-api/usageManagement/v4"
PAGE = 500


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class TmfClient:
    """JSON over HTTP to one origin, with its bearer token; ``name`` says whose API it is in errors."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str | None = None,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout_s, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> Answer:
        try:
            response = await self._client.request(method, path, params=params, json=json)
        except httpx.HTTPError as exc:
            raise OssUnavailableError(f"{self.name} at {self.base_url} did not answer: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise OssUnavailableError(f"{self.name} at {self.base_url} refused our token (HTTP {response.status_code})")
        if response.status_code >= 500:
            raise OssUnavailableError(f"{self.name} at {self.base_url} answered HTTP {response.status_code}")
        if response.status_code == 204 or not response.content:
            return Answer(response.status_code, None)
        try:
            return Answer(response.status_code, response.json())
        except ValueError as exc:
            raise OssUnavailableError(f"{self.name} at {self.base_url} answered something that is not JSON") from exc

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The JSON at ``path``; None for a 404."""
        answer = await self.request("GET", path, params=params)
        if answer.status == 404:
            return None
        if not answer.ok:
            raise OssUnavailableError(f"{self.name}: GET {path} answered HTTP {answer.status}")
        return answer.body

    async def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a TMF list, page by page."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self.get(path, {**(params or {}), "offset": str(offset), "limit": str(PAGE)})
            items = [i for i in page or [] if isinstance(i, dict)]
            found += items
            if len(items) < PAGE:
                return found
            offset += PAGE

    # The event hub every TMF API offers (TMF630): listeners survive restarts on the hub's side.

    async def register(self, api_base: str, callback: str, query: str) -> str:
        answer = await self.request("POST", f"{api_base}/hub", json={"callback": callback, "query": query})
        if answer.status != 201 or not isinstance(answer.body, dict) or "id" not in answer.body:
            raise OssUnavailableError(f"{self.name}: registering on {api_base}/hub answered HTTP {answer.status}")
        return str(answer.body["id"])

    async def listener(self, api_base: str, listener_id: str) -> dict[str, Any] | None:
        found = await self.get(f"{api_base}/hub/{quote(listener_id, safe='')}")
        return found if isinstance(found, dict) else None

    async def listeners(self, api_base: str) -> list[dict[str, Any]]:
        found = await self.get(f"{api_base}/hub")
        return [i for i in found or [] if isinstance(i, dict)]


class OssApi:
    """The OSS as the bridge uses it."""

    def __init__(self, client: TmfClient) -> None:
        self.client = client

    async def aclose(self) -> None:
        await self.client.aclose()

    async def submit_order(self, body: dict[str, Any]) -> Answer:
        """POST a ServiceOrder_Create: 201 new, 200 known externalId (the first order), 400 refused."""
        return await self.client.request("POST", f"{ORDERING}/serviceOrder", json=body)

    async def service_order(self, order_id: str) -> dict[str, Any] | None:
        found = await self.client.get(f"{ORDERING}/serviceOrder/{quote(order_id, safe='')}")
        return found if isinstance(found, dict) else None

    async def service_orders(self, external_id: str) -> list[dict[str, Any]]:
        return await self.client.get_all(f"{ORDERING}/serviceOrder", {"externalId": external_id})

    async def cancel_order(self, order_id: str, reason: str) -> Answer:
        body = {"serviceOrder": {"id": order_id}, "cancellationReason": reason}
        return await self.client.request("POST", f"{ORDERING}/cancelServiceOrder", json=body)

    async def services(self, **filters: str) -> list[dict[str, Any]]:
        """TMF638 services; ``filters`` are TMF630 attribute filters (``state="active,inactive"``)."""
        params = {key.replace("__", "."): value for key, value in filters.items()}
        return await self.client.get_all(f"{INVENTORY}/service", params)

    async def service(self, service_id: str) -> dict[str, Any] | None:
        found = await self.client.get(f"{INVENTORY}/service/{quote(service_id, safe='')}")
        return found if isinstance(found, dict) else None

    async def service_specification(self, spec_id: str) -> dict[str, Any] | None:
        found = await self.client.get(f"{SERVICE_CATALOG}/serviceSpecification/{quote(spec_id, safe='')}")
        return found if isinstance(found, dict) else None

    async def alarm(self, alarm_id: str) -> dict[str, Any] | None:
        found = await self.client.get(f"{ALARM}/alarm/{quote(alarm_id, safe='')}")
        return found if isinstance(found, dict) else None

    async def alarms(self, **filters: str) -> list[dict[str, Any]]:
        params = {key.replace("__", "."): value for key, value in filters.items()}
        return await self.client.get_all(f"{ALARM}/alarm", params)

    async def usage(self, **filters: str) -> list[dict[str, Any]]:
        """TMF635 usage records (``usageDate__gte="2026-03-01T00:00:00Z"``), in publication order."""
        params = {key.replace("__", "."): value for key, value in filters.items()}
        return await self.client.get_all(f"{USAGE}/usage", params)
