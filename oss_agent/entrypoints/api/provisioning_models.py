"""The request bodies of TMF641 as pydantic models: what the OpenAPI document shows, and the first
check of a request (a body of another shape is a 400 naming the field). Extra attributes TMF allows
(``@type``, notes, ...) are kept and passed on; the rules of the catalog and inventory come after
(:mod:`oss_agent.provisioning.request`, :mod:`oss_agent.provisioning.sites`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Characteristic(_Open):
    name: str = Field(min_length=1, max_length=64)
    value: StrictStr | StrictInt


class SpecificationRef(_Open):
    id: str | None = Field(None, pattern=ID)
    name: str | None = Field(None, max_length=128)


class ServiceRefOrValue(_Open):
    id: str | None = Field(None, pattern=ID, description="the service a modify or delete acts on")
    name: str | None = Field(None, max_length=128)
    state: Literal["active", "inactive"] | None = Field(None, description="a modify's new state (suspend, resume)")
    service_specification: SpecificationRef | None = Field(None, alias="serviceSpecification")
    service_characteristic: list[Characteristic] | None = Field(None, alias="serviceCharacteristic")


class OrderItemRef(_Open):
    item_id: str = Field(alias="itemId", pattern=ID)


class ItemRelationship(_Open):
    relationship_type: Literal["dependsOn", "dependency", "requires"] = Field(alias="relationshipType")
    order_item: OrderItemRef = Field(alias="orderItem")


class LegacyItemRelationship(_Open):
    """TMF641 v4.0's ``orderItemRelationship`` entry."""

    id: str = Field(pattern=ID)
    relationship_type: Literal["dependsOn", "dependency", "requires"] = Field(alias="relationshipType")


class ServiceOrderItem(_Open):
    id: str = Field(pattern=ID)
    action: Literal["add", "modify", "delete", "noChange"]
    service: ServiceRefOrValue
    service_order_item_relationship: list[ItemRelationship] | None = Field(None, alias="serviceOrderItemRelationship")
    order_item_relationship: list[LegacyItemRelationship] | None = Field(None, alias="orderItemRelationship")


class RelatedParty(_Open):
    id: str = Field(min_length=1, max_length=128)
    referred_type: str = Field("Party", alias="@referredType")


class ServiceOrderCreate(_Open):
    """TMF641 ServiceOrder_Create."""

    service_order_item: list[ServiceOrderItem] = Field(alias="serviceOrderItem", min_length=1, max_length=100)
    external_id: str | None = Field(None, alias="externalId", pattern=ID)
    description: str | None = Field(None, max_length=2000)
    category: str | None = Field(None, max_length=64)
    priority: str | None = Field(None, max_length=16)
    requested_start_date: str | None = Field(None, alias="requestedStartDate", description="ISO 8601 with a time zone")
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")


class ServiceOrderRef(_Open):
    id: str = Field(min_length=1, max_length=128)


class CancelServiceOrderCreate(_Open):
    """TMF641 CancelServiceOrder_Create."""

    service_order: ServiceOrderRef = Field(alias="serviceOrder")
    cancellation_reason: str | None = Field(None, alias="cancellationReason", max_length=2000)
