"""Perception figures as a flat table, for spreadsheets: only what the gate already released."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

from gaplens.figures import QuestionFigures

COLUMNS = (
    "question",
    "group",
    "status",
    "n",
    "answer",
    "count",
    "share",
    "share_low_95",
    "share_high_95",
    "score",
    "score_low_95",
    "score_high_95",
)


def figure_rows(figures: Mapping[str, QuestionFigures]) -> Iterator[dict[str, object]]:
    """One row per question, group and answer; a group without a number keeps its status and
    nothing else, exactly as the dashboard shows it."""
    for key, question in figures.items():
        for group, found in question.groups.items():
            base: dict[str, object] = {"question": key, "group": group, "status": found.status}
            if found.status != "shown":
                yield base
                continue
            base["n"] = found.n
            if found.score is not None:
                base |= {
                    "score": round(found.score.estimate, 1),
                    "score_low_95": round(found.score.low, 1),
                    "score_high_95": round(found.score.high, 1),
                }
            if found.number is not None:
                median = found.number.median
                yield base | {
                    "answer": "median",
                    "score": round(median.estimate, 2),
                    "score_low_95": round(median.low, 2),
                    "score_high_95": round(median.high, 2),
                }
            for answer, share in (found.shares or {}).items():
                yield base | {
                    "answer": answer,
                    "count": share.count,
                    "share": round(share.share, 4),
                    "share_low_95": round(share.low, 4),
                    "share_high_95": round(share.high, 4),
                }


def figures_csv(figures: Mapping[str, QuestionFigures]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(figure_rows(figures))
    return out.getvalue()
