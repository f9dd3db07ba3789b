"""Survey definitions as they arrive from the API and pages: validated before anything is built."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gaplens.surveys.question_bank import Audience, Scale


class CustomQuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=5, max_length=300)
    scale: Scale
    options: list[str] = Field(default_factory=list, max_length=10)
    audience: Audience = Audience.EVERYONE
    bounds: tuple[float, float] | None = None

    @model_validator(mode="after")
    def options_fit_the_scale(self) -> CustomQuestionIn:
        if self.scale in (Scale.CHOICE, Scale.MULTI):
            cleaned = [o.strip() for o in self.options if o.strip()]
            if len(cleaned) < 2:
                raise ValueError("a choice question needs at least two options")
            if len({o.lower() for o in cleaned}) != len(cleaned) or any(
                len(o) > 100 for o in cleaned
            ):
                raise ValueError("options must be distinct and at most 100 characters")
            if any(";" in o for o in cleaned):
                raise ValueError("options cannot contain ';'")
            self.options = cleaned
        elif self.options:
            raise ValueError(f"a {self.scale.value} question takes no options")
        if self.bounds is not None and (
            self.scale is not Scale.NUMBER or self.bounds[0] >= self.bounds[1]
        ):
            raise ValueError("bounds are for number questions, lowest first")
        return self


class SurveyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=200)
    series: str | None = Field(default=None, max_length=200)
    bank_questions: list[str] | None = Field(default=None, max_length=50)
    """Keys from the current bank; None means all of them."""
    custom_questions: list[CustomQuestionIn] = Field(default_factory=list, max_length=10)


class SurveyCreated(BaseModel):
    name: str
    bank_version: int
    questions: list[str]


# A survey as the API lists it (no class docstring: it would change the OpenAPI schema).
class SurveySummary(BaseModel):
    name: str
    bank_version: int
    anonymous: bool
    responses: int | None
    """Responses in the latest release; None before the first release."""
