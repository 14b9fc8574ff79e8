"""What an operator does around orders besides TMF641 itself (not a TMF API): the dry run of an order
and the configuration check of live services, the same operations as ``oss-agent order submit
--dry-run`` and ``oss-agent service check``.

``POST /provisioning/v1/dryRun`` takes a ``ServiceOrder_Create`` and answers, per device, the native
change the order would make now and its diff against the running configuration; it writes nothing
to a device or to the database. A request the catalog or the inventory refuses is answered 200 with
its ``problems`` (each naming its field), as the order would be refused. ``POST
/provisioning/v1/serviceCheck`` compares live services' renderings with the running configurations
(drift raises an alarm on the service, a clean check clears it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from oss_agent.domain.errors import NotFoundError
from oss_agent.entrypoints.api.provisioning_models import ID, ServiceOrderCreate
from oss_agent.entrypoints.api.tmf import TmfError
from oss_agent.provisioning import operations
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.provisioning.request import read_order

router = APIRouter(prefix="/provisioning/v1", tags=["provisioning operations"])


class DeviceChange(BaseModel):
    device: str
    platform: str
    cli: list[str] = Field(description="the CLI lines the order would apply, in order")
    netconf: str | None = Field(description="the NETCONF <edit-config> it would send, if any")
    diff: str = Field(description="a unified diff of the running configuration, before and after")
    error: str | None = Field(description="why the device could not be read (nothing else is known of it)")


class PlannedItem(BaseModel):
    item: str
    action: str
    spec: str
    service: str | None
    state: str = Field(description="the service's state once the item is done")
    devices: list[str]
    pool_values: dict[str, Any] = Field(description="the pool values the item would take now (none is taken)")


class Problem(BaseModel):
    field: str
    message: str


class DryRunResult(BaseModel):
    items: list[PlannedItem]
    devices: list[DeviceChange]
    problems: list[Problem] = Field(description="why the order would be refused; empty when it would be accepted")


class ServiceCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str | None = Field(None, pattern=ID, description="one service's id; every live service when absent")


class ServiceCheckResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    service: str
    name: str
    in_sync: bool = Field(alias="inSync")
    missing: dict[str, list[str]] = Field(description="per device, the service's items its configuration lacks")
    error: str | None = Field(description="why the check could not be made (a device could not be read)")


def _ctx(request: Request) -> ProvisioningContext:
    ctx: ProvisioningContext | None = request.app.state.agent.provisioning
    if ctx is None:
        raise TmfError(500, "provisioning is not set up in this agent")
    return ctx


@router.post("/dryRun", summary="The per-device change a ServiceOrder_Create would make now (changes nothing)")
async def dry_run(request: Request, body: ServiceOrderCreate) -> DryRunResult:
    command = read_order(body.model_dump(by_alias=True, exclude_none=True))
    return DryRunResult.model_validate((await operations.dry_run(_ctx(request), command)).as_dict())


@router.post(
    "/serviceCheck",
    summary="Compare live services with the running configurations (drift raises an alarm)",
    responses={404: {"description": "no service has this id"}},
)
async def service_check(request: Request, body: ServiceCheckIn) -> list[ServiceCheckResult]:
    try:
        reports = await operations.check_services(_ctx(request), request.app.state.agent.bus, body.service)
    except NotFoundError as exc:
        raise TmfError(404, str(exc)) from exc
    return [
        ServiceCheckResult(service=r.service_id, name=r.name, in_sync=r.in_sync, missing=r.missing, error=r.error)
        for r in reports
    ]
