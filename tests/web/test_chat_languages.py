"""Chat replies in the person's language, over real HTTP (uvicorn on loopback): a Teams
activity's `locale` chooses the catalogue (English when gaplens has none), Slack's slash
command (which carries no language) answers in `GAPLENS_DEFAULT_LANGUAGE`. The language is
only a presentation choice: what Slack stores is the same whatever the reply's language."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.feedback.models import FeedbackItem
from gaplens.reflections.models import ReflectionEntry
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.integrations.slack_payloads import SECRET, signed_headers, slash_body
from tests.integrations.teams_payloads import TENANT, TOKEN, activity, body_of, signed
from tests.web.conftest import served

TEAMS = "/integrations/teams/message"
SLACK = "/integrations/slack/command"


def settings_for(web_db: str, **changes: Any) -> WebSettings:
    defaults: dict[str, Any] = {
        "database_url": web_db,
        "secure_cookies": False,
        "slack_signing_secret": SECRET,
        "teams_security_tokens": (TOKEN,),
        "teams_tenant_ids": (TENANT,),
    }
    return WebSettings(**{**defaults, **changes})


@pytest.fixture
def english_default(web_db: str) -> Iterator[httpx.Client]:
    with (
        served(create_app(settings_for(web_db))) as origin,
        httpx.Client(base_url=origin, timeout=10) as client,
    ):
        yield client


@pytest.fixture
def french_default(web_db: str) -> Iterator[httpx.Client]:
    with (
        served(create_app(settings_for(web_db, default_language="fr"))) as origin,
        httpx.Client(base_url=origin, timeout=10) as client,
    ):
        yield client


def teams_reply(client: httpx.Client, words: str, locale: str | None, activity_id: str) -> str:
    data = activity(words, time.time(), activity_id=activity_id)
    if locale is None:
        del data["locale"]
    else:
        data["locale"] = locale
    body = body_of(data)
    response = client.post(TEAMS, content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    return str(response.json()["text"])


def slack_reply(client: httpx.Client, words: str) -> str:
    body = slash_body(words)
    response = client.post(SLACK, content=body, headers=signed_headers(body, int(time.time())))
    assert response.status_code == 200, response.text
    assert response.json()["response_type"] == "ephemeral"
    return str(response.json()["text"])


def test_a_german_teams_activity_gets_a_german_reply(english_default: httpx.Client):
    reply = teams_reply(english_default, "friction copilot: erfindet APIs", "de-DE", "1")
    assert reply.startswith("Nichts wurde gespeichert.")
    assert "Bitte senden Sie Ihre Worte stattdessen über das private Formular" in reply
    assert "/feedback?kind=friction&tool=copilot" in reply
    assert "Nothing was kept" not in reply and "erfindet" not in reply
    help_reply = teams_reply(english_default, "hilfe", "de-AT", "2")
    assert "*gaplens — anonymes Feedback zu KI bei der Arbeit*" in help_reply
    assert "Um privat zu reflektieren" in help_reply


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ja-JP", "何も保存していません。"),
        ("es-ES", "No se guardó nada."),
        ("fr-FR", "Rien n'a été conservé."),
        ("pt-BR", "Nothing was kept."),  # no Portuguese catalogue: English
        ("zz-ZZ", "Nothing was kept."),
        (None, "Nothing was kept."),
    ],
)
def test_the_teams_locale_chooses_the_catalogue_else_english(
    english_default: httpx.Client, locale: str | None, expected: str
):
    reply = teams_reply(english_default, "idea: a shared prompt library", locale, "3")
    assert reply.startswith(expected)


def test_teams_replies_in_the_locale_not_the_organisations_language(
    french_default: httpx.Client,
):
    assert teams_reply(french_default, "idea: x y z", "en-GB", "4").startswith("Nothing was kept.")
    assert teams_reply(french_default, "idea: x y z", "de-DE", "5").startswith("Nichts wurde")


def feedback_rows(url: str) -> list[tuple[str, str | None, str | None, str, str]]:
    with session_scope(url) as session:
        return [
            (item.kind, item.tool, item.use_case, item.text, item.channel)
            for item in session.scalars(select(FeedbackItem).order_by(FeedbackItem.id))
        ]


def test_slack_answers_in_the_default_language_and_stores_the_same_values(
    french_default: httpx.Client, english_default: httpx.Client, web_db: str
):
    french = slack_reply(french_default, "friction copilot code-review: it invents APIs")
    assert french.startswith("Merci — enregistré anonymement")
    assert "Classé comme *friction* · outil : copilot · cas d'usage : code-review." in french
    english = slack_reply(english_default, "friction copilot code-review: it invents APIs!")
    assert english.startswith("Thanks — stored anonymously")
    # A translated kind word is read as its kind, whatever the reply's language.
    slack_reply(french_default, "problème copilot code-review: il invente des API")
    assert feedback_rows(web_db) == [
        ("friction", "copilot", "code-review", "it invents APIs", "slack"),
        ("friction", "copilot", "code-review", "it invents APIs!", "slack"),
        ("friction", "copilot", "code-review", "il invente des API", "slack"),
    ]


def test_slack_help_errors_and_reflections_in_the_default_language(
    french_default: httpx.Client, web_db: str
):
    assert slack_reply(french_default, "help").startswith(
        "*gaplens — retours anonymes sur l'IA au travail*"
    )
    assert "Jusqu'à 2\u202f000 caractères" in slack_reply(french_default, "aide")
    error = slack_reply(french_default, "rant: everything")
    assert error.startswith("Je n'ai pas reconnu « rant ».")
    assert error.endswith("Rien n'a été enregistré.")
    reflected = slack_reply(french_default, "reflect learned: examples | means: a prompt file")
    assert reflected.startswith("Merci — votre réflexion est enregistrée anonymement")
    with session_scope(web_db) as session:
        [entry] = session.scalars(select(ReflectionEntry))
        assert (entry.learned, entry.means, entry.source) == ("examples", "a prompt file", "slack")


def test_the_default_language_comes_from_the_environment(
    web_db: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("GAPLENS_DEFAULT_LANGUAGE", raising=False)
    assert WebSettings.from_environment(web_db).default_language == "en"
    monkeypatch.setenv("GAPLENS_DEFAULT_LANGUAGE", "fr")
    assert WebSettings.from_environment(web_db).default_language == "fr"
    monkeypatch.setenv("GAPLENS_DEFAULT_LANGUAGE", "pt")
    with pytest.raises(InputError) as caught:
        WebSettings.from_environment(web_db)
    assert "GAPLENS_DEFAULT_LANGUAGE" in str(caught.value)


def test_the_base_url_comes_from_the_environment(web_db: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GAPLENS_BASE_URL", "https://gaplens.example.com/")
    assert WebSettings.from_environment(web_db).base_url == "https://gaplens.example.com"
    monkeypatch.setenv("GAPLENS_BASE_URL", "gaplens.example.com")
    with pytest.raises(InputError) as caught:
        WebSettings.from_environment(web_db)
    assert "GAPLENS_BASE_URL" in str(caught.value)
