"""Survey definitions as they arrive from the API and pages: validated before anything is built."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gaplens.i18n import DEFAULT_LANGUAGE, available
from gaplens.surveys.question_bank import Audience, Scale


class CustomQuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=5, max_length=300)
    scale: Scale
    options: list[str] = Field(default_factory=list, max_length=10)
    audience: Audience = Audience.EVERYONE
    bounds: tuple[float, float] | None = None
    texts: dict[str, str] = Field(default_factory=dict, max_length=20)
    """The question in other languages, by code ({"de": "...", "ja": "..."}); a language
    left out shows `text` (the rest of the page still in the respondent's language)."""

    @model_validator(mode="after")
    def texts_are_known_languages(self) -> CustomQuestionIn:
        languages = available()
        cleaned: dict[str, str] = {}
        for code, text in self.texts.items():
            if code not in languages or code == DEFAULT_LANGUAGE:
                raise ValueError(
                    f"texts: no catalogue for language '{code}' "
                    f"(other languages: {', '.join(languages[1:])})"
                )
            if not 5 <= len(text.strip()) <= 300:
                raise ValueError(f"texts.{code}: between 5 and 300 characters")
            cleaned[code] = text.strip()
        self.texts = cleaned
        return self

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
