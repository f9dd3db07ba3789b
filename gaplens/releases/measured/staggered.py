"""The staggered-adoption estimate on the measured release: a frozen panel, final cells.

Per metric (those whose monthly value means something before adoption: `Metric.monthly`)
and per scope (the organisation, each function), each release publishes the Callaway &
Sant'Anna estimate (`gaplens.stats.staggered`) against people not yet using AI, over a
panel of person x calendar month values.

Why frozen: a published cell ATT(g, t) that a later release computed differently would
tell, by the difference, the value of whoever changed it (a late import, a newcomer, an
adoption date that arrived late). So the panel's inputs are frozen when first released:

- each released month's per-person values (`MeasuredPanelMonth`), as of its release;
- each person's place, function and role (`MeasuredPanelPerson`): their cohort is fixed
  in the month it begins; a person not yet treated whose adoption date turns out to lie
  in a month already released stays untreated in those months and adds no value after
  (`stopped`); a person first seen after adopting has no untreated month and never counts.

Every cell is then a fixed function of frozen data, and a later release only adds cells.
Who may be in a cell: a cohort enters a scope only with at least k people who have a value
before it (else its people count as not yet treated only before they adopted, and not at
all after); a cell is published only if its treated and its control persons (values at
both of its months) are each at least k and their changes are not all alike. Withheld
cells are left out of every aggregation and every resample alike (`cell_rule`).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from gaplens.metrics.definitions import Metric
from gaplens.metrics.queries import day_of
from gaplens.metrics.registry import REGISTRY
from gaplens.metrics.schemas import (
    StaggeredCell,
    StaggeredEffect,
    StaggeredFigures,
    TenureSpeedUp,
)
from gaplens.metrics.service import MeasuredData
from gaplens.releases.measured.models import (
    MeasuredPanelMonth,
    MeasuredPanelPerson,
    MeasuredStaggered,
)
from gaplens.stats.staggered import CellRule, StaggeredResult, Window, staggered_did
from gaplens.surveys.answers import TENURE_BANDS

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_RESAMPLES = 499
METHOD = (
    "Staggered adoption (Callaway & Sant'Anna 2021): each adoption cohort's change since the "
    "month before it adopted, minus the change of people not yet using AI over the same "
    "calendar months; averaged over cohorts and months since adoption. Intervals: 95% "
    "bootstrap over persons. Cells of fewer than {k} people on either side, or whose "
    "changes are all alike, are withheld."
)


TENURE_WINDOWS: dict[str, Window] = {"<1": (0, 0), "1-6": (1, 5), "6+": (6, None)}
"""The survey's AI-tenure bands (how long people have used AI when they answer) as months
since the adoption month: under one month is the adoption month itself, one to six
months is months 1 to 5 after it, six months or more is month 6 on."""
assert set(TENURE_WINDOWS) <= set(TENURE_BANDS)


def staggered_metrics() -> list[Metric]:
    """The metrics the staggered estimate is published for, in registry order."""
    return [metric for metric in REGISTRY.values() if metric.monthly]


def month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


@dataclass
class Panel:
    """The frozen panel of one organisation, as stored, plus what this build adds."""

    dataset: str
    ids: list[str] = field(default_factory=list)
    seq: dict[str, int] = field(default_factory=dict)
    functions: list[str | None] = field(default_factory=list)
    cohort: list[int | None] = field(default_factory=list)
    stopped: list[int | None] = field(default_factory=list)
    months: dict[str, dict[int, FloatArray]] = field(default_factory=dict)
    stored: int = 0
    """Persons already in the database (seq below this)."""
    changed: set[int] = field(default_factory=set)
    new_months: list[tuple[str, int]] = field(default_factory=list)

    def values(self, metric: str, months: Sequence[int]) -> FloatArray:
        """persons x months, NaN where no value (or the person came later)."""
        out = np.full((len(self.ids), len(months)), np.nan)
        for j, month in enumerate(months):
            got = self.months.get(metric, {}).get(month)
            if got is not None:
                out[: got.size, j] = got
        return out

    def released_months(self) -> list[int]:
        return sorted({m for per in self.months.values() for m in per})


def load_panel(session: Session, dataset: str) -> Panel:
    panel = Panel(dataset)
    rows = session.execute(
        select(
            MeasuredPanelPerson.seq,
            MeasuredPanelPerson.person_id,
            MeasuredPanelPerson.function,
            MeasuredPanelPerson.cohort,
            MeasuredPanelPerson.stopped,
        )
        .where(MeasuredPanelPerson.dataset == dataset)
        .order_by(MeasuredPanelPerson.seq)
    ).all()
    for seq, person, function, cohort, stopped in rows:
        assert seq == len(panel.ids), "panel sequence numbers are dense"
        panel.seq[person] = seq
        panel.ids.append(person)
        panel.functions.append(function)
        panel.cohort.append(cohort)
        panel.stopped.append(stopped)
    panel.stored = len(panel.ids)
    for metric, month, blob in session.execute(
        select(
            MeasuredPanelMonth.metric, MeasuredPanelMonth.month, MeasuredPanelMonth.values
        ).where(MeasuredPanelMonth.dataset == dataset)
    ):
        panel.months.setdefault(metric, {})[month] = np.frombuffer(blob, dtype=np.float64)
    return panel


def freeze_month(panel: Panel, data: MeasuredData, end: dt.date) -> None:
    """Fix the roles as of `end`'s month and each panel metric's values over that month.

    Roles first (a person's values in month M count as untreated unless they adopted in M
    or before): newcomers join; a person not yet treated whose adoption date falls in M
    begins cohort M; one whose date falls in a month already released stops."""
    month = month_number(end)
    if month in panel.released_months():
        return
    _, adoption = data.pivots()
    functions = data.functions()
    rows: list[int] = []
    for i, person in enumerate(data.person_ids):
        adopted = None if not math.isfinite(adoption[i]) else month_number(day_of(adoption[i]))
        seq = panel.seq.get(person)
        if seq is None:
            seq = len(panel.ids)
            panel.seq[person] = seq
            panel.ids.append(person)
            panel.functions.append(str(functions[i]))
            panel.cohort.append(adopted if adopted is not None and adopted <= month else None)
            panel.stopped.append(None)
        elif panel.cohort[seq] is None and panel.stopped[seq] is None and adopted is not None:
            if adopted == month:
                panel.cohort[seq] = month
                panel.changed.add(seq)
            elif adopted < month:
                panel.stopped[seq] = month
                panel.changed.add(seq)
        rows.append(seq)
    index = np.array(rows, dtype=np.int64)
    active = np.fromiter(
        (_active(panel.stopped[s], month) for s in rows), dtype=np.bool_, count=len(rows)
    )
    start, stop = month_start(month), month_start(month + 1)
    for metric in staggered_metrics():
        if not data.loaded(metric.source):
            continue
        values = np.full(len(panel.ids), np.nan)
        got = data.month_values(metric, start, stop)
        values[index[active]] = got[active]
        panel.months.setdefault(metric.key, {})[month] = values
        panel.new_months.append((metric.key, month))


def _active(stopped: int | None, month: int) -> bool:
    return stopped is None or stopped > month


def save_panel(session: Session, panel: Panel) -> None:
    """Write the persons, role changes and months this build added (never rewrites a
    month; a role changes only as `freeze_month` allows)."""
    new = [
        {
            "dataset": panel.dataset,
            "person_id": panel.ids[s],
            "seq": s,
            "function": panel.functions[s],
            "cohort": panel.cohort[s],
            "stopped": panel.stopped[s],
        }
        for s in range(panel.stored, len(panel.ids))
    ]
    if new:
        session.execute(insert(MeasuredPanelPerson), new)
    for s in sorted(panel.changed):
        if s < panel.stored:
            session.execute(
                update(MeasuredPanelPerson)
                .where(
                    MeasuredPanelPerson.dataset == panel.dataset,
                    MeasuredPanelPerson.person_id == panel.ids[s],
                )
                .values(cohort=panel.cohort[s], stopped=panel.stopped[s])
            )
    if panel.new_months:
        session.execute(
            insert(MeasuredPanelMonth),
            [
                {
                    "dataset": panel.dataset,
                    "metric": metric,
                    "month": month,
                    "values": panel.months[metric][month].astype(np.float64).tobytes(),
                }
                for metric, month in panel.new_months
            ],
        )
    panel.stored, panel.changed, panel.new_months = len(panel.ids), set(), []


@dataclass(frozen=True)
class PanelInputs:
    """What the estimator gets for one metric and scope: persons x months, and each
    person's cohort (month number, NaN: not yet treated at any month of the panel)."""

    seqs: npt.NDArray[np.int64]
    months: list[int]
    values: FloatArray
    cohort: FloatArray
    admitted: dict[int, int]
    """Cohorts that entered, with their persons (a value before adopting)."""


def panel_inputs(
    panel: Panel, metric: str, function: str | None, through: int, k: int
) -> PanelInputs:
    """The scope's persons and values through month `through`, with the cohort rule:
    a cohort enters with at least k persons who have a value before it; the others'
    values from their adoption on are left out and they count as not yet treated."""
    months = [m for m in panel.released_months() if m <= through]
    seqs = np.array(
        [s for s in range(len(panel.ids)) if function is None or panel.functions[s] == function],
        dtype=np.int64,
    )
    values = panel.values(metric, months)[seqs] if seqs.size else np.empty((0, len(months)))
    cohort = np.array(
        [np.nan if panel.cohort[s] is None else float(panel.cohort[s]) for s in seqs.tolist()]
    )
    month_arr = np.array(months, dtype=np.float64)
    cohort[cohort > through] = np.nan  # not possible by construction; kept safe
    admitted: dict[int, int] = {}
    for g in np.unique(cohort[np.isfinite(cohort)]).tolist():
        members = cohort == g
        before = np.isfinite(values[members][:, month_arr < g]).any(axis=1)
        if int(before.sum()) >= k:
            admitted[int(g)] = int(before.sum())
        else:
            rows = np.flatnonzero(members)
            values[np.ix_(rows, np.flatnonzero(month_arr >= g))] = np.nan
            cohort[rows] = np.nan
    return PanelInputs(seqs, months, values, cohort, admitted)


def cell_rule(k: int) -> CellRule:
    """At least k people on each side, with values at both months, changes not all alike."""

    def rule(cohort: int, period: int, treated: FloatArray, control: FloatArray) -> bool:
        return (
            treated.size >= k
            and control.size >= k
            and bool(np.ptp(treated) > 0)
            and bool(np.ptp(control) > 0)
        )

    return rule


def estimate(
    inputs: PanelInputs, k: int, rng: np.random.Generator, resamples: int
) -> StaggeredResult | str:
    """The estimator's result, or why there is none."""
    if not inputs.admitted:
        return f"no adoption cohort of at least {k} people with a value before adopting"
    person, period = np.nonzero(np.isfinite(inputs.values))
    if person.size == 0:
        return "no values"
    try:
        return staggered_did(
            person,
            np.array(inputs.months, dtype=np.int64)[period],
            inputs.values[person, period],
            inputs.cohort[person],
            rng,
            control_group="not_yet_treated",
            resamples=resamples,
            cell_rule=cell_rule(k),
            keep_late_cohorts=True,
            windows=tuple(TENURE_WINDOWS.values()),
        )
    except ValueError as error:
        return str(error)


def _finite(x: float) -> bool:
    return math.isfinite(x)


def _source_count(n: int, k: int) -> int | None:
    """A count of adopters by date source: 0 or at least k, else None (fewer than k)."""
    return n if n == 0 or n >= k else None


def figures_of(
    result: StaggeredResult | str,
    inputs: PanelInputs,
    k: int,
    as_of: dt.date,
    derived: frozenset[str] | set[str] = frozenset(),
    ids: Sequence[str] = (),
) -> StaggeredFigures:
    """What is published: the cells that passed the rule (no intervals: those are for the
    aggregations only), the overall effect, the event study, effects by cohort, the
    pre-trend verdict and the speed-up, with n, and how many of the adopters in a
    published cell had their adoption date from the directory and how many from
    telemetry (`derived`: person ids; `ids`: the panel's ids by seq); a count under k is
    left out."""
    method = METHOD.format(k=k)
    if isinstance(result, str):
        return StaggeredFigures(method=method, as_of=as_of, not_enough_data=result)
    cells = [c for c in result.cells if _finite(c.estimate)]
    withheld = sum(1 for c in result.cells if not _finite(c.estimate))
    post = [c for c in cells if c.post]
    if not post:
        return StaggeredFigures(
            method=method,
            as_of=as_of,
            withheld_cells=withheld,
            resamples=result.resamples,
            not_enough_data="no month after adoption has at least "
            f"{k} adopters and {k} people not yet using AI with values, changes not all alike",
        )
    published = {(c.cohort, c.period) for c in cells}
    cohort_months = np.array([np.nan if not np.isfinite(g) else g for g in inputs.cohort])
    months = np.array(inputs.months)
    observed = np.isfinite(inputs.values)
    treated: set[int] = set()
    control: set[int] = set()
    treated_at: dict[int, set[int]] = {}
    """Per months since adoption (post cells only): the adopters in its published cells."""
    for c in cells:
        pair = np.isin(months, [c.period, c.base_period])
        both = observed[:, pair].all(axis=1)
        later = max(c.period, c.base_period)
        in_cell = set(np.flatnonzero(both & (cohort_months == c.cohort)).tolist())
        treated |= in_cell
        if c.post:
            treated_at.setdefault(c.event_time, set()).update(in_cell)
        control |= set(
            np.flatnonzero(
                both
                & (np.isnan(cohort_months) | (cohort_months > later))
                & (cohort_months != c.cohort)
            ).tolist()
        )
    sizes = dict(result.cohort_sizes)
    overall = result.simple
    from_telemetry = sum(1 for i in treated if ids and ids[int(inputs.seqs[i])] in derived)
    sources = {
        "directory": _source_count(len(treated) - from_telemetry, k),
        "telemetry": _source_count(from_telemetry, k),
    }
    return StaggeredFigures(
        method=method,
        as_of=as_of,
        overall=StaggeredEffect(estimate=overall.estimate, low=overall.low, high=overall.high),
        event_study=[
            StaggeredEffect(key=e.key, estimate=e.estimate, low=e.low, high=e.high)
            for e in result.by_event_time.effects
            if _finite(e.estimate) and _finite(e.low)
        ],
        by_cohort=[
            StaggeredEffect(
                key=month_label(int(e.key or 0)),
                estimate=e.estimate,
                low=e.low,
                high=e.high,
                n=sizes.get(int(e.key or 0)),
            )
            for e in result.by_cohort.effects
            if _finite(e.estimate) and _finite(e.low) and e.key is not None
        ],
        pre_trends=result.pre_trends.verdict,
        pre_trend_sentence=result.pre_trends.sentence,
        pre_trend_p_value=None
        if not _finite(result.pre_trends.p_value)
        else result.pre_trends.p_value,
        speed_up=StaggeredEffect(
            estimate=result.speed_up.estimate, low=result.speed_up.low, high=result.speed_up.high
        )
        if _finite(result.speed_up.estimate) and _finite(result.speed_up.low)
        else None,
        n={
            "treated_persons": len(treated),
            "control_persons": len(control),
            "cohorts": len({c.cohort for c in post}),
        },
        cells=[
            StaggeredCell(
                cohort=month_label(c.cohort),
                month=month_label(c.period),
                base_month=month_label(c.base_period),
                months_since_adoption=c.event_time,
                estimate=c.estimate,
                n_treated=c.n_treated,
                n_control=c.n_control,
            )
            for c in cells
            if (c.cohort, c.period) in published
        ],
        withheld_cells=withheld,
        resamples=result.resamples,
        adoption_sources=sources,
        speed_up_by_tenure=_by_tenure(result, treated_at),
    )


def _by_tenure(result: StaggeredResult, treated_at: Mapping[int, set[int]]) -> list[TenureSpeedUp]:
    """Each tenure band's speed-up whose window holds a published cell and whose ratio and
    interval could be computed, with the adopters of those cells (at least k: each
    published cell has k)."""
    out = []
    for band, window in zip(TENURE_WINDOWS, result.by_window, strict=True):
        first, last = window.window
        adopters: set[int] = set()
        for event_time, persons in treated_at.items():
            if event_time >= first and (last is None or event_time <= last):
                adopters |= persons
        ratio = window.speed_up
        if not adopters or not (_finite(ratio.estimate) and _finite(ratio.low)):
            continue
        out.append(
            TenureSpeedUp(
                band=band,
                first_month=first,
                last_month=last,
                estimate=ratio.estimate,
                low=ratio.low,
                high=ratio.high,
                n=len(adopters),
            )
        )
    return out


def staggered_rows(
    panel: Panel,
    end: dt.date,
    k: int,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    derived: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, object]]:
    """The release rows of every panel metric for the organisation and each function, as
    of month end `end` (the panel must hold its month); `derived`: the people whose
    adoption date came from telemetry."""
    through = month_number(end)
    functions = sorted({f for f in panel.functions if f is not None})
    rows: list[dict[str, object]] = []
    for metric in staggered_metrics():
        if through not in panel.months.get(metric.key, {}):
            continue
        for function in [None, *functions]:
            inputs = panel_inputs(panel, metric.key, function, through, k)
            rng = np.random.default_rng(
                [seed, zlib.crc32(f"{metric.key}|{function or ''}|{through}".encode())]
            )
            result = estimate(inputs, k, rng, resamples)
            figures = figures_of(result, inputs, k, end, derived, panel.ids)
            rows.append(
                {
                    "metric": metric.key,
                    "function": function,
                    "figures": figures.model_dump(mode="json"),
                }
            )
    return rows


def write_staggered(
    session: Session, release_id: int, rows: Sequence[Mapping[str, object]]
) -> None:
    if rows:
        session.execute(
            insert(MeasuredStaggered), [{"release_id": release_id, **row} for row in rows]
        )
