"""What every table of a scenario shares: strict sections, the number types, and the
error a validator pins to one key."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
TierName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=40)]


class Section(BaseModel):
    # Unknown keys, NaN and infinities are rejected everywhere; strings are never
    # silently turned into numbers.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)


class FieldProblem(ValueError):
    """A problem that a section's validator pins to one key path and value."""

    def __init__(self, key: str, value: object, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.value = value
