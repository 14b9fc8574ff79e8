"""What TMF642's PATCH and task operations accept, as models whose JSON schemas say it exactly.

The OpenAPI document is generated from these, so a client (or schemathesis) learns every rule the
server applies to a body from the document: a pattern matches something, a comment has text, an
alarm reference has an id, times carry their zone, acknowledging names the user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

Text = Annotated[str, Field(min_length=1, pattern=r"\S")]  # something besides blanks
Pattern = Annotated[dict[str, Any], Field(min_length=1)]  # an empty pattern would match every alarm


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 7.0 as an integer, so the document's ``integer`` accepts it; 7.5 and true stay refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


AlarmNumber = (
    Annotated[int, Field(strict=True), BeforeValidator(_whole_number)] | Annotated[str, Field(pattern=r"^[0-9]+$")]
)


def _date_time_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("a date-time is an RFC 3339 string")
    return value


# a date-time string with its zone, as the schema says (pydantic would otherwise also take epoch numbers)
Instant = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CommentIn(_Body):
    comment: Text
    user_id: str | None = Field(None, alias="userId")
    system_id: str | None = Field(None, alias="systemId")
    time: Instant | None = None


class AlarmRefIn(_Body):
    id: AlarmNumber
    href: str | None = None


class _TaskBody(_Body):
    alarm_pattern: list[Pattern] = Field(alias="alarmPattern", min_length=1)


class AckBody(_TaskBody):
    ack_system_id: Text = Field(alias="ackSystemId")
    ack_user_id: Text = Field(alias="ackUserId")
    ack_time: Instant | None = Field(None, alias="ackTime")


class ClearBody(_TaskBody):
    clear_system_id: Text = Field(alias="clearSystemId")
    clear_user_id: Text = Field(alias="clearUserId")
    alarm_cleared_time: Instant = Field(alias="alarmClearedTime")


class CommentBody(_TaskBody):
    comment: CommentIn


class RegroupBody(_Body):
    """GroupAlarms_Create / UnGroupAlarms_Create: a root (``parentAlarm``) and the alarms to (un)correlate."""

    source_system_id: Text = Field(alias="sourceSystemId")
    alarm_changed_time: Instant = Field(alias="alarmChangedTime")
    parent_alarm: AlarmRefIn = Field(alias="parentAlarm")
    correlated_alarm: list[AlarmRefIn] = Field(alias="correlatedAlarm", min_length=1)


ACKNOWLEDGING_NEEDS_A_USER: JsonDict = {
    "if": {"properties": {"ackState": {"const": "acknowledged"}}, "required": ["ackState"]},
    "then": {
        "required": ["ackUserId"],
        "properties": {"ackUserId": {"type": "string", "minLength": 1, "pattern": r"\S"}},
    },
}


class AlarmPatch(BaseModel):
    """What an operator may change on an alarm: its acknowledgement, new comments, and clearing it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra=ACKNOWLEDGING_NEEDS_A_USER)
    ack_state: Literal["acknowledged", "unacknowledged"] | None = Field(None, alias="ackState")
    ack_user_id: Text | None = Field(None, alias="ackUserId")
    ack_system_id: str | None = Field(None, alias="ackSystemId")
    comment: list[CommentIn] | None = None
    state: Literal["cleared"] | None = None
    clear_user_id: str | None = Field(None, alias="clearUserId")
    clear_system_id: str | None = Field(None, alias="clearSystemId")
    alarm_cleared_time: Instant | None = Field(None, alias="alarmClearedTime")

    @model_validator(mode="after")
    def _ack_names_the_user(self) -> AlarmPatch:
        if self.ack_state == "acknowledged" and not self.ack_user_id:
            raise ValueError("acknowledging needs ackUserId")
        return self
