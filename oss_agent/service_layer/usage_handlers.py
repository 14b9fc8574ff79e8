"""Publishing usage (TMF635): each live service gets a meter on its customer-facing interfaces, and
every complete interval of every meter becomes a record, stored with its hub event in one commit.

A meter starts when the publisher first sees its service live (active or suspended): at the instant
the order that made it so completed (the BSS's subscription starts then too, so no record precedes
it), and it ends at the instant the service was terminated. The maths is
:mod:`oss_agent.domain.usage`'s; which interface is customer-facing is the specification's
``usage.measure``. One transaction per run: two publishers of one interval cannot both commit it
(the record id is unique), and the loser publishes nothing (the next run finds it done).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from oss_agent.domain import commands
from oss_agent.domain.catalog import UsageSpec
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.usage import Meter, UsageSettings, measure_points, publish
from oss_agent.errors import ConfigError
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.service_layer.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)
LIVE = (ServiceState.ACTIVE.value, ServiceState.INACTIVE.value)


@dataclass
class UsageReport:
    published: list[str] = field(default_factory=list)  # record ids
    gaps: int = 0  # complete intervals nothing measured
    meters: int = 0  # services measured in this run
    unmeasured: dict[str, str] = field(default_factory=dict)  # service id -> why it has no meter


def usage_settings(provisioning: ProvisioningContext) -> UsageSettings:
    s = provisioning.settings
    return UsageSettings(s.usage_interval_s, s.usage_rate_interval_s, s.usage_grace_s)


def _usage_specs(provisioning: ProvisioningContext) -> dict[str, UsageSpec]:
    try:
        return {spec_id: spec.usage for spec_id, spec in provisioning.catalog.specs.items()}
    except ConfigError as exc:  # the catalog is broken: measure every service the default way
        logger.error("usage: service catalog unreadable, default measurement for every service: %s", exc)
        return {}


def _new_meter(uow: UnitOfWork, service: Service, usage: UsageSpec, cpes: set[str]) -> Meter | str:
    """A meter for ``service``, or why it cannot be measured."""
    points = measure_points(service.supporting_resources, cpes, usage.measure)
    if not points:
        return f"no {usage.measure} interface among its supporting resources {list(service.supporting_resources)}"
    order = uow.orders.get(service.order_id)
    since = order.completed_at if order is not None and order.completed_at is not None else service.updated_at
    return Meter(service.id, points, since.timestamp(), rate_samples=usage.rate_samples)


async def publish_usage(cmd: commands.PublishUsage, uow: UnitOfWork, provisioning: ProvisioningContext) -> UsageReport:
    settings = usage_settings(provisioning)
    now = cmd.at.timestamp()
    report = UsageReport()
    specs: dict[str, UsageSpec] | None = None
    with uow:
        meters = uow.usage.meters()
        cpes = uow.usage.cpe_devices()
        for service in uow.services.list(states=LIVE, limit=1_000_000):
            if service.id in meters:
                continue
            specs = _usage_specs(provisioning) if specs is None else specs
            made = _new_meter(uow, service, specs.get(service.spec_id, UsageSpec()), cpes)
            if isinstance(made, str):
                report.unmeasured[service.id] = made
            else:
                meters[service.id] = made
        for meter in meters.values():
            service_now = uow.services.get(meter.service_id)
            if meter.until is None and (service_now is None or service_now.state is ServiceState.TERMINATED):
                ended = service_now.updated_at.timestamp() if service_now is not None else now
                meter.until = max(ended, meter.since)
            samples, observed = uow.usage.samples(meter.points, meter.earliest(settings, now))
            published = publish(meter, samples, observed, now, settings)
            uow.usage.add(published.records)
            uow.usage.save_meter(meter, meter.finished(settings, now))
            report.published += [r.id for r in published.records]
            report.gaps += published.gaps
        report.meters = len(meters)
        uow.commit()
    if report.published:  # stored with their hub events, none delivered yet
        await provisioning.failpoints.reach("usage-published")
    return report


HANDLERS: dict[type[commands.Command], Callable[..., Awaitable[Any]]] = {
    commands.PublishUsage: publish_usage,
}
