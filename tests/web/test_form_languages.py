"""The field checks of the reflection, `/feedback` and `/friction` forms, the expired
reflection link and a mistyped address, in the page's language, through real HTTP (uvicorn
on loopback): German and Japanese. A number or a day in a message is written the language's
way, and nothing is stored when a form is refused."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from gaplens.feedback.models import FeedbackItem
from gaplens.friction.models import FrictionEntry
from gaplens.i18n import date_words
from gaplens.reflections.models import ReflectionEntry
from gaplens.reflections.service import issue_links, schedule
from gaplens.reflections.steps import expires_on
from tests.web.test_reflections import emails, tokens, train  # noqa: F401 - the shared fixture
from tests.web.test_respondent_pages import Links, links  # noqa: F401 - the shared fixture
from tests.web.test_validation_languages import form_token, refused_survey

FRICTION = {
    "use_case": "Code review",
    "tool": "GitHub Copilot",
    "minutes_correcting": "12",
    "minutes_saved": "",
    "severity": "high",
    "outcome": "fixed",
    "team": "",
    "note": "",
}
ENGLISH_LEFT = ("String should", "Input should", "at least", "or less", "is required", "column '")


def refused(origin: str, path: str, language: str, data: dict[str, str]) -> str:
    """The form's answer to `data` in `language`: refused (422) in that language; its text
    with entities decoded."""
    with httpx.Client(base_url=origin, headers={"accept-language": language}) as http:
        page = http.get(path)
        assert page.status_code == 200 and page.headers["content-language"] == language
        answer = http.post(path, data={"form_token": form_token(page.text), **data})
    assert answer.status_code == 422, answer.text[:300]
    assert answer.headers["content-language"] == language
    text = html.unescape(answer.text)
    assert not [words for words in ENGLISH_LEFT if words in text], text[-1500:]
    return text


def problems(page: str) -> list[str]:
    """The listed problems, tags removed (`label: message`)."""
    block = re.search(r'<div class="error" role="alert" id="problems".*?</ul>', page, re.S)
    assert block, "a problem list on the page"
    items = re.findall(r"<li>(.*?)</li>", block.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def count(url: str, model: type) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_feedback_checks_in_german_and_japanese(live_server: str, web_db: str):
    german = refused(live_server, "/feedback", "de", {"kind": "idea", "text": "ok"})
    assert "Bitte prüfen Sie:" in german
    assert problems(german) == ["Was ist passiert?: braucht mindestens 3 Zeichen"]
    german = refused(live_server, "/feedback", "de", {"kind": "", "text": "ok", "tool": "x" * 101})
    assert problems(german) == [
        "Welche Art von Rückmeldung ist es?: bitte wählen Sie eine aus.",
        "Was ist passiert?: braucht mindestens 3 Zeichen",
        "Welches KI-Tool?: länger als 100 Zeichen",
    ]
    japanese = refused(live_server, "/feedback", "ja", {"kind": "rant", "text": "ok"})
    assert problems(japanese) == [
        "どんな種類のフィードバックですか？: 「rant」は選択肢にありません"
        "（working, friction, idea, concern）",
        "何がありましたか？: 3文字以上で入力してください",
    ]
    assert count(web_db, FeedbackItem) == 0


def test_friction_checks_in_german_and_japanese(live_server: str, web_db: str):
    typed = {**FRICTION, "minutes_correcting": "viel", "minutes_saved": "2000"}
    german = refused(live_server, "/friction", "de", typed)
    assert problems(german) == [
        "Minuten für die Korrektur: „viel“ ist keine ganze Zahl",
        "Minuten, die es Ihnen gespart hat: darf höchstens 1.440 sein",
    ]
    assert 'value="viel"' in german  # what was typed is kept
    unknown_team = refused(live_server, "/friction", "de", {**FRICTION, "team": "nirgendwo"})
    assert problems(unknown_team) == ["Team: unbekanntes Team „nirgendwo“"]

    japanese = refused(live_server, "/friction", "ja", {**typed, "minutes_correcting": "-3"})
    assert problems(japanese) == [
        "手直しにかかった時間（分）: 0以上にしてください",
        "節約できた時間（分）: 1,440以下にしてください",
    ]
    assert count(web_db, FrictionEntry) == 0


def test_reflection_checks_in_german_and_japanese(
    live_server: str,
    web_db: str,
    tokens: list[str],  # noqa: F811
):
    path = f"/r/{tokens[0]}"
    german = refused(live_server, path, "de", {"learned": " ", "means": ""})
    assert problems(german) == [
        "Was habe ich gelernt?: schreiben Sie, was Sie gelernt haben oder was es für Ihre "
        "Arbeit bedeutet"
    ]
    japanese = refused(live_server, path, "ja", {"learned": "例が効く", "confidence": "9"})
    assert problems(japanese) == [
        "使いこなす自信はどのくらいありますか？（1 = まったくない、5 = とてもある）: "
        "5以下にしてください"
    ]
    assert "例が効く" in japanese  # what was typed is kept
    assert count(web_db, ReflectionEntry) == 0


@pytest.fixture
def expired_link(web_db: str, tmp_path: Path) -> tuple[str, dt.date]:
    """A reflection link issued when its step was due, 20 days ago: expired since 6 days."""
    trained = dt.date.today() - dt.timedelta(days=20)
    train(web_db, tmp_path, emails(web_db, "eng-payments", 12), trained)
    with session_scope(web_db) as session:
        schedule(session, trained)
        links = issue_links(session, trained, "http://testserver", today=trained)
    first = next(link for link in links if link.step == "now")
    return first.url.rsplit("/", 1)[1].split("?")[0], expires_on(first.due_on)


def test_an_expired_link_says_its_day_in_german_and_japanese(
    live_server: str, expired_link: tuple[str, dt.date]
):
    token, last_day = expired_link
    for language, heading, sentence in (
        ("de", "Dieser Link kann nicht mehr verwendet werden", "Dieser Link ist am {day} abgelaufen. "
         "Der nächste kommt per E-Mail."),
        ("ja", "このリンクはもう使用できません", "このリンクは{day}に有効期限が切れました。"
         "次のリンクはメールでお届けします。"),
    ):  # fmt: skip
        with httpx.Client(base_url=live_server, headers={"accept-language": language}) as http:
            page = http.get(f"/r/{token}")
        assert page.status_code == 410 and page.headers["content-language"] == language
        text = html.unescape(page.text)
        assert f"<h1>{heading}</h1>" in text
        assert sentence.format(day=date_words(last_day, language)) in text
        assert "expired" not in text
    assert date_words(last_day, "de").endswith(str(last_day.year))  # "23. November 2026"
    with httpx.Client(base_url=live_server) as http:
        english = http.post("/api/v1/reflections", json={"link": token, "learned": "late"})
    assert english.status_code == 410 and "expired" in english.json()["error"]


def test_a_cut_off_link_is_a_page_in_the_readers_language(live_server: str):
    with httpx.Client(base_url=live_server, headers={"accept-language": "ja"}) as http:
        cut = http.get("/r/")
        api = http.get("/api/v1/no-such-thing")
    assert cut.status_code == 404 and cut.headers["content-language"] == "ja"
    assert "このアドレスにはページがありません。" in cut.text and "Not Found" not in cut.text
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_an_overlong_field_is_named_in_the_forms_language(live_server: str):
    """A field longer than the route accepts (FastAPI's own check, before the form's)."""
    with httpx.Client(base_url=live_server, headers={"accept-language": "de"}) as http:
        page = http.get("/feedback")
        answer = http.post(
            "/feedback", data={"form_token": form_token(page.text), "kind": "x" * 30}
        )
    assert answer.status_code == 422 and answer.headers["content-language"] == "de"
    assert "<code>kind</code>: länger als 16 Zeichen" in answer.text
    assert "String should" not in answer.text


def test_a_stale_form_and_a_missing_post_in_german_and_japanese(live_server: str):
    """A form sent without its token (left open past its cookie, or from elsewhere) and a
    leader's post that is not there: both pages a respondent can meet."""
    with httpx.Client(base_url=live_server, headers={"accept-language": "de"}) as http:
        stale = http.post("/feedback", data={"kind": "idea", "text": "a good idea"})
    assert stale.status_code == 403 and stale.headers["content-language"] == "de"
    assert "Bitte laden Sie die Seite neu und senden Sie es noch einmal." in stale.text
    assert "reload the page" not in stale.text
    with httpx.Client(base_url=live_server, headers={"accept-language": "ja"}) as http:
        missing = http.get("/leaders/987654")
    assert missing.status_code == 404 and missing.headers["content-language"] == "ja"
    assert "この投稿はありません。" in missing.text and "there is no post" not in missing.text


def test_survey_team_and_unknown_field_in_japanese(
    live_server: str,
    links: Links,  # noqa: F811
):
    """What only a changed form can send (a team not in the list, a field that is no
    question) is still said in the page's language."""
    japanese = html.unescape(
        refused_survey(
            live_server, links.survey, "ja", {"team": "nirgendwo", "no_such_question": "1"}
        )
    )
    assert "「nirgendwo」というチームはありません" in japanese
    assert "このアンケートの質問ではありません" in japanese
    assert "unknown team" not in japanese and "not a question" not in japanese
