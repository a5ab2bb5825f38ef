"""The request and response bodies as Pydantic models (they also make the generated OpenAPI)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from service_common.limits import USER_EMAIL_MAX_LENGTH, USER_EMAIL_PATTERN, USER_NAME_MAX_LENGTH, USER_NAME_PATTERN
from service_common.patterns import matches


def contract_pattern(pattern: str) -> AfterValidator:
    """The contract's pattern as JSON Schema defines it (ECMA-262; pydantic's own `pattern` is Rust's regex dialect,
    whose `\\s` differs); the generated OpenAPI still shows it, through `json_schema_extra`."""

    def check(value: str) -> str:
        if not matches(pattern, value):
            raise ValueError(f"must match {pattern}")
        return value

    return AfterValidator(check)


class Message(BaseModel):
    """The greeting."""

    message: str


class WorldRow(BaseModel):
    """One row of the world table."""

    id: int
    randomNumber: int


class NewUser(BaseModel):
    """A user to create; unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=USER_NAME_MAX_LENGTH),
        contract_pattern(USER_NAME_PATTERN),
        Field(json_schema_extra={"pattern": USER_NAME_PATTERN}),
    ]
    email: Annotated[
        str,
        StringConstraints(max_length=USER_EMAIL_MAX_LENGTH),
        contract_pattern(USER_EMAIL_PATTERN),
        Field(json_schema_extra={"pattern": USER_EMAIL_PATTERN}),
    ]


class UserOut(BaseModel):
    """A stored user."""

    id: int
    name: str
    email: str


class IoResult(BaseModel):
    """How long the simulated downstream call took."""

    waited_ms: int


class CpuResult(BaseModel):
    """The CPU workload's result."""

    n: int
    result: int


class Health(BaseModel):
    """Liveness or readiness."""

    status: str


QueryInt = Annotated[int, Field()]
