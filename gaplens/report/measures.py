"""Which share a question is summarised by, so a published benchmark is compared like with like.

A benchmark's `options` say which answers its share counts. The report plots the share that
counts the same answers:

- the favourable share, when the benchmark counts the question's favourable answers
  (e.g. "12% feel involved" = agree or strongly agree);
- the complement of the favourable share, when the benchmark counts exactly the other answers
  (e.g. "78% do not know" = no or unsure, against "yes"); a Wilson interval of 1 - p is
  exactly (1 - high, 1 - low);
- a single answer's share, when the benchmark counts one answer (e.g. "77% say AI added to
  their workload" = "added").

Otherwise the favourable share is shown without a benchmark line; the benchmark's words are
still printed beside the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gaplens.report.schemas import GroupFigures, QuestionFigures, Share
from gaplens.surveys.question_bank import entry
from gaplens.wording import options_phrase, sentence_case


class MeasureKind(StrEnum):
    FAVOURABLE = "favourable"
    COMPLEMENT = "complement"
    OPTION = "option"


@dataclass(frozen=True)
class ShareMeasure:
    kind: MeasureKind
    options: tuple[str, ...]
    """The answers the share counts."""
    benchmark: float | None = None
    """The published share for the same answers, if there is one."""

    @property
    def label(self) -> str:
        """Column and axis heading: 'Agree or strongly agree'."""
        if not self.options:
            return "Favourable"
        return sentence_case(options_phrase(self.options))

    def share(self, group: GroupFigures) -> Share | None:
        if self.kind is MeasureKind.FAVOURABLE:
            return group.favourable
        if self.kind is MeasureKind.COMPLEMENT:
            fav = group.favourable
            if fav is None:
                return None
            count = (group.n - fav.count) if group.n is not None else 0
            return Share(count=count, share=1 - fav.share, low=1 - fav.high, high=1 - fav.low)
        return (group.shares or {}).get(self.options[0])


def favourable_options(question: QuestionFigures, bank_version: int) -> tuple[str, ...]:
    """The answers that count as favourable, from the question bank; () for custom questions."""
    try:
        return entry(question.key, bank_version).positive_options
    except (KeyError, ValueError):
        return ()


def share_measure(question: QuestionFigures, bank_version: int) -> ShareMeasure | None:
    """The share a question is summarised and charted by, or None if it has none."""
    favourable = favourable_options(question, bank_version)
    has_favourable = any(g.favourable is not None for g in question.groups.values())
    bench = question.benchmark
    if bench is not None and bench.value is not None and 0 <= bench.value <= 1 and bench.options:
        wanted = set(bench.options)
        ordered = tuple(o for o in question.options if o in wanted) or tuple(bench.options)
        if has_favourable and favourable and wanted == set(favourable):
            return ShareMeasure(MeasureKind.FAVOURABLE, ordered, bench.value)
        if (
            has_favourable
            and favourable
            and not wanted & set(favourable)
            and wanted | set(favourable) == set(question.options)
        ):
            return ShareMeasure(MeasureKind.COMPLEMENT, ordered, bench.value)
        if len(wanted) == 1 and any(
            g.shares is not None and ordered[0] in g.shares for g in question.groups.values()
        ):
            return ShareMeasure(MeasureKind.OPTION, ordered, bench.value)
    if has_favourable:
        return ShareMeasure(MeasureKind.FAVOURABLE, favourable)
    return None
