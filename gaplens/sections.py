"""The registry of report sections: a capability registers its section's builder here.

A leaf module (it imports nothing of gaplens at run time), so a capability registers its
section without importing the report, and the report builds, lists and renders every
registered section from this one list (docs/report-json.md, "Adding a section"). The
builder contract: `builder(session, scope, start, end, policy) -> Section | None`, reading
the capability's releases only, so the same scope and period give every viewer the same
section; None when the capability has nothing for the period.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SectionBuilder = Callable[["Session", Any, dt.date, dt.date, Any], BaseModel | None]
"""(session, scope: MetricScope, start, end, policy: PrivacyPolicy) -> Section | None."""
Builder = TypeVar("Builder", bound=SectionBuilder)


@dataclass(frozen=True)
class SectionEntry:
    field: str
    """The report document's field the section fills; its partial is
    gaplens/report/templates/sections/<field>.html.j2, rendered in <section id="<field>">."""
    title: str
    """Its heading in the appendix's contents."""
    order: int
    """Place in the appendix, lowest first (the report's own sections use 10-90)."""
    build: SectionBuilder


SECTIONS: dict[str, SectionEntry] = {}

NOT_CAPABILITIES = frozenset({"web", "cli", "demo", "report"})


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
    service module (where builders register), so a new capability needs no import list."""
    import gaplens

    for info in pkgutil.iter_modules(gaplens.__path__):
        if not info.ispkg or info.name in NOT_CAPABILITIES:
            continue
        name = f"gaplens.{info.name}.service"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return sorted(SECTIONS.values(), key=lambda entry: (entry.order, entry.field))
