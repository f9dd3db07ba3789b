"""The registry of report sections: a capability registers its section's builder here.

A leaf module (it imports nothing of gaplens at run time), so a capability registers its
section without importing the report, and the report builds, lists and renders every
registered section from this one list (docs/report-json.md, "Adding a section"). The
builder contract: `builder(session, scope, start, end, policy, context) -> Section | None`,
reading the capability's releases only, so the same scope and period give every viewer the
same section; None when the capability has nothing for the period. `context` lends what the
report has already read for the scope and period (the survey, the scorecard, the measured
data day...), so no section reads it again or differently.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SectionContext:
    """What the report has read once for its scope and period and lends every section; each
    part is read from releases, the same for every viewer. Typed loosely: this module is a
    leaf and imports no capability."""

    survey: Any = None
    """The report's survey (gaplens.surveys.models.Survey); None outside a report."""
    as_of: dt.date | None = None
    """The last day of measured data in the period; None before usage or work data."""
    scorecard: Any = None
    """The period's scorecard for the scope (gaplens.scorecard.schemas.Scorecard), from the
    friction release."""
    perception: Mapping[str, Any] = field(default_factory=dict)
    """The scope's released perception figures by question key (QuestionFigures)."""
    friction: Sequence[Any] = ()
    """The friction release's classes in the period and scope (FrictionClass)."""
    realities: Any = None
    """The scope's three-realities row (gaplens.realities.schemas.RealityRow), or None."""


SectionBuilder = Callable[["Session", Any, dt.date, dt.date, Any, SectionContext], BaseModel | None]
"""(session, scope: MetricScope, start, end, policy: PrivacyPolicy, context) -> Section | None."""
Builder = TypeVar("Builder", bound=SectionBuilder)


@dataclass(frozen=True)
class SectionEntry:
    field: str
    """The report document's field the section fills; its partial is
    gaplens/report/templates/sections/<field>.html.j2, rendered in <section id="<field>">."""
    title: str
    """Its heading in the appendix's contents."""
    order: int
    """Place in the appendix, lowest first, after the report's own sections (the perception
    figures and the three realities) and before the next steps."""
    build: SectionBuilder


SECTIONS: dict[str, SectionEntry] = {}

NOT_CAPABILITIES = frozenset({"web", "cli", "demo", "report"})
BUILDER_MODULES = ("service", "views")
"""The modules of a capability where its section builder may register."""


def section(field: str, *, title: str, order: int) -> Callable[[Builder], Builder]:
    """Register a section builder under the report field it fills (one builder per field)."""

    def register(builder: Builder) -> Builder:
        existing = SECTIONS.get(field)
        if existing is not None and existing.build is not builder:
            raise ValueError(f"report section {field!r} is registered twice")
        SECTIONS[field] = SectionEntry(field, title, order, builder)
        return builder

    return register


def registered_sections() -> list[SectionEntry]:
    """Every registered section in appendix order, after importing each capability's
    service and views modules (where builders register), so a new capability needs no
    import list."""
    import gaplens

    for info in pkgutil.iter_modules(gaplens.__path__):
        if not info.ispkg or info.name in NOT_CAPABILITIES:
            continue
        for module in BUILDER_MODULES:
            name = f"gaplens.{info.name}.{module}"
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
    return sorted(SECTIONS.values(), key=lambda entry: (entry.order, entry.field))
