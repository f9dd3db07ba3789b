"""The weekly digest as mailed: week bounds, thresholds kept, markup inert, export audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gaplens.audit.models import AuditEvent
from gaplens.cli import app
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.feedback.delivery import week_bounds
from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import submit_feedback
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.feedback.service import build_feedback_release

runner = CliRunner()


def test_week_bounds_default_to_the_last_complete_iso_week():
    wednesday = dt.date(2026, 11, 25)
    assert week_bounds(None, wednesday) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    monday = dt.date(2026, 11, 23)
    assert week_bounds(None, monday) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert week_bounds("2026-W01", wednesday) == (dt.date(2025, 12, 29), dt.date(2026, 1, 4))
    for bad in ("2026-47", "2026-W54", "last week", "9999-W52", "0001-W01"):
        with pytest.raises(InputError):
            week_bounds(bad, wednesday)


def test_digest_command_mails_the_release(db_url: str, tmp_path: Path):
    """The mailed digest renders the feedback release: 12 frictions and 3 ideas of 2026-W47
    are one published group of 15 (not all alike), so both counts are shown (the old
    per-request digest hid them by the remainder rule; a release needs no such rule, since
    every view is a sum of whole groups). Comments come from the completed month."""
    day = dt.date(2026, 11, 18)  # in 2026-W47, whose Thursday is in November
    texts = [
        f"The assistant drafts customer replies with the wrong refund policy <b>again</b> #{n}"
        for n in range(12)
    ]
    with session_scope(db_url) as session:
        for text in texts:
            submit_feedback(session, FeedbackIn(kind=FeedbackKind.FRICTION, text=text), "web", day)
        for n in range(3):
            submit_feedback(
                session,
                FeedbackIn(kind=FeedbackKind.IDEA, text=f"summarise claims {n}"),
                "web",
                day,
            )
        build_feedback_release(session, PrivacyPolicy(), today=dt.date(2026, 11, 30))
    html_file = tmp_path / "digest.html"
    result = runner.invoke(
        app, ["digest", "--week", "2026-W47", "-f", "html", "-o", str(html_file), "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    html = html_file.read_text()
    assert "15 anonymous items" in html
    assert "Friction:\n 12</h2>" in html and "Idea:\n 3</h2>" in html
    assert "<b>again</b>" not in html and "&lt;b&gt;again&lt;/b&gt;" in html
    assert "summarise claims" not in html  # 3 comments are below the comment threshold
    as_json = runner.invoke(app, ["digest", "--week", "2026-W47", "-f", "json", "--db", db_url])
    kinds = {k["kind"]: k for k in json.loads(as_json.stdout)["kinds"]}
    assert kinds["friction"]["count"] == 12 and kinds["idea"]["count"] == 3
    assert kinds["friction"]["comments"] and kinds["friction"]["text_months"] == ["2026-11"]
    assert kinds["idea"]["comments"] == []
    as_text = runner.invoke(app, ["digest", "--week", "2026-W47", "--db", db_url]).stdout
    assert "Friction: 12" in as_text and "Idea: 3" in as_text
    empty = runner.invoke(app, ["digest", "--week", "2026-W40", "--db", db_url])
    assert empty.exit_code == 0 and "No counts are shown: no group of at least 5" in empty.stdout
    bad = runner.invoke(app, ["digest", "--week", "soon", "--db", db_url])
    assert bad.exit_code == 2 and "ISO week" in bad.output
    with session_scope(db_url) as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == [
        "export_digest_html",
        "export_digest_json",
        "export_digest_text",
        "export_digest_text",
    ]
