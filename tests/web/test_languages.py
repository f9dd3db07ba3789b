"""Respondent pages in five languages: every page a respondent sees renders in each language
(chosen from Accept-Language, or the switch, remembered in a cookie), staff pages stay
English, custom questions carry their own text per language, and answers given in German
and in French count together in the released figures."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.i18n import COOKIE, available, negotiate, translations
from gaplens.privacy import configured_policy
from gaplens.releases.queries import latest_survey_release
from gaplens.releases.service import build_survey_release
from gaplens.surveys.collection import create_open_link
from gaplens.surveys.schemas import CustomQuestionIn, SurveyCreate
from gaplens.surveys.service import create_survey, find_survey
from tests.web.conftest import sign_in
from tests.web.test_respondent_pages import Links, links  # noqa: F401 - the shared fixture

LANGUAGES = ("en", "de", "fr", "es", "ja")
SEND = {
    "en": "Send my answers anonymously",
    "de": "Meine Antworten anonym senden",
    "fr": "Envoyer mes réponses anonymement",
    "es": "Enviar mis respuestas de forma anónima",
    "ja": "回答を匿名で送信",
}
"""Written out, not looked up: the catalogues must hold real translations."""
BANK_QUESTION = {
    "en": "Do you use AI at work?",
    "de": "Nutzen Sie KI bei der Arbeit?",
    "fr": "Utilisez-vous l’IA au travail ?",
    "es": "¿Usas la IA en el trabajo?",
    "ja": "仕事でAIを使っていますか？",
}


def tr(language: str, message: str) -> str:
    """What a page in `language` shows for `message`, HTML-escaped as the page writes it."""
    text = translations(language).gettext(message)
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page)
    assert found, "the page names its language"
    return found.group(1)


def token_of(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "a form token on the page"
    return found.group(1)


def test_every_language_has_a_catalogue():
    assert set(available()) == set(LANGUAGES)


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        ("de-CH,de;q=0.9", None, "de"),
        ("de-CH", None, "de"),
        ("fr-CA,fr;q=0.8,en;q=0.5", None, "fr"),
        ("es-419,es;q=0.9", None, "es"),
        ("ja-JP", None, "ja"),
        ("en-GB,de;q=0.9", None, "en"),
        ("xx-YY,zz;q=0.7", None, "en"),
        ("nl;q=1.0,ja;q=0.2,fr;q=0.5", None, "fr"),
        ("de;q=0,fr;q=0.1", None, "fr"),
        ("*", None, "en"),
        ("", None, "en"),
        (None, None, "en"),
        ("de;q=abc, ja", None, "ja"),
        ("de-CH,de;q=0.9", "ja", "ja"),
        ("de-CH,de;q=0.9", "klingon", "de"),
    ],
)
def test_accept_language_and_the_remembered_choice(
    header: str | None, cookie: str | None, expected: str
):
    assert negotiate(header, cookie) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_respondent_page_renders_in_each_language(
    client: TestClient,
    web_db: str,
    links: Links,  # noqa: F811 - the imported fixture
    language: str,
):
    """Each page: `<html lang>` follows the language, a phrase of that page in it, the
    question bank translated, and (for a language other than English) the English gone."""
    from gaplens.modelling.models import LeaderPost

    client.headers["accept-language"] = {"en": "en-US", "de": "de-CH,de;q=0.9"}.get(
        language, language
    )

    def check(path: str, *phrases: str, status: int = 200) -> str:
        page = client.get(path)
        assert page.status_code == status, f"{path}: {page.status_code}"
        assert html_lang(page.text) == language, path
        assert page.headers["content-language"] == language
        for phrase in phrases:
            assert tr(language, phrase) in page.text, f"{path} in {language}: {phrase!r}"
            if language != "en":
                assert phrase not in page.text, f"{path} in {language} still says {phrase!r}"
        return page.text

    survey = check(links.survey, "What is stored, and what is not", "Prefer not to say")
    assert SEND[language] in survey and BANK_QUESTION[language] in survey
    assert tr(language, "strongly disagree").capitalize()[:1] in survey
    sent = client.post(
        links.survey,
        data={
            "form_token": token_of(survey),
            "role_level": "individual_contributor",
            "uses_ai_any": "yes",
        },
    )
    assert sent.status_code == 200 and tr(language, "Thank you — your answers are in") in sent.text
    refused = client.post(links.survey, data={"form_token": token_of(survey), "uses_ai_any": "no"})
    assert refused.status_code == 422 and html_lang(refused.text) == language
    assert tr(language, "please choose one.") in refused.text

    check(links.tasks, "Which function do you work in?")
    tasks = check(
        f"{links.tasks}?function=Support",
        "Do you want to keep doing it?",
        "I want to keep doing it",
    )
    assert tr(language, "Send my answers anonymously") in tasks
    reflection = check(f"/r/{links.reflections[0]}", "A short reflection", "What did I learn?")
    assert tr(language, "Send my reflection anonymously") in reflection
    thanked = client.post(
        f"/r/{links.reflections[0]}",
        data={"form_token": token_of(reflection), "learned": "Ask for the format first."},
    )
    assert tr(language, "Thank you — your reflection is in") in thanked.text
    feedback = check("/feedback", "Tell us how AI is really working for you", "Working well")
    limit = {"en": "2,000", "de": "2.000", "fr": "2\u202f000", "es": "2.000", "ja": "2,000"}
    assert limit[language] == format_decimal(2000, locale=language)
    assert limit[language] in feedback, "numbers as the language writes them"
    check("/friction", "Log an AI output that needed fixing", "Fixed it, then used it")
    check("/leaders", "How our leaders use AI — what worked, and what it got wrong")
    with session_scope(web_db) as session:
        post = session.scalars(select(LeaderPost.id)).first()
    check(f"/leaders/{post}", "What the AI got wrong", "All posts")
    commitments = check("/commitments", "A role that stays")
    day = format_date(dt.date.today(), format="long", locale=language)
    assert day in commitments, f"the date as {language} writes it: {day}"
    check("/", "One shared picture of what AI is really doing for our work")
    check(
        "/s/not-a-real-link-at-all",
        "This survey link is not valid or has been replaced.",
        status=404,
    )


def test_the_thank_you_pages_in_japanese(client: TestClient):
    """Feedback and friction thank-you pages (the two forms post without a link)."""
    client.headers["accept-language"] = "ja"
    feedback = client.get("/feedback")
    sent = client.post(
        "/feedback",
        data={"form_token": token_of(feedback.text), "kind": "idea", "text": "議事録の要約"},
    )
    assert sent.status_code == 200 and "ありがとうございます。受け付けました" in sent.text
    friction = client.get("/friction")
    logged = client.post(
        "/friction",
        data={
            "form_token": token_of(friction.text),
            "use_case": "code review",
            "tool": "Copilot",
            "outcome": "kept",
            "minutes_correcting": "0",
            "severity": "low",
        },
    )
    assert logged.status_code == 200 and "記録しました。ありがとうございます" in logged.text


def test_the_switch_picks_a_language_and_remembers_it(client: TestClient, links: Links):  # noqa: F811
    client.headers["accept-language"] = "de-DE,de;q=0.9"
    german = client.get("/feedback")
    assert html_lang(german.text) == "de"
    switch = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"', german.text)
    assert [code for _, code in switch] == ["en", "de", "es", "fr", "ja"]
    assert dict((code, href) for href, code in switch)["ja"] == "/feedback?lang=ja"
    assert 'lang="de" hreflang="de" aria-current="true">Deutsch</a>' in german.text
    assert ">日本語</a>" in german.text and ">Français</a>" in german.text

    picked = client.get("/feedback?lang=fr")
    assert html_lang(picked.text) == "fr" and picked.cookies.get(COOKIE) == "fr"
    assert "HttpOnly" in picked.headers["set-cookie"] and "Path=/" in picked.headers["set-cookie"]
    # Remembered: other pages, without the parameter and despite the German browser.
    assert html_lang(client.get(links.survey).text) == "fr"
    assert html_lang(client.get("/commitments").text) == "fr"
    # Other query parameters are kept by the switch's links.
    tasks = client.get(f"{links.tasks}?function=Support")
    assert f'href="{links.tasks}?function=Support&amp;lang=es"' in tasks.text
    # An unknown language in the link changes nothing and sets no cookie.
    unknown = client.get("/feedback?lang=xx")
    assert html_lang(unknown.text) == "fr"
    assert not any(c.startswith(COOKIE) for c in unknown.headers.get_list("set-cookie"))


def test_staff_pages_stay_english(client: TestClient):
    client.headers["accept-language"] = "de"
    login = client.get("/login")
    assert html_lang(login.text) == "en" and "Sprache" not in login.text
    sign_in(client, "leader")
    for path in ("/dashboard", "/leaders", "/commitments"):
        page = client.get(path)
        assert page.status_code == 200 and html_lang(page.text) == "en", path
        assert 'hreflang="de"' not in page.text, f"{path}: no language switch for staff"
    assert "What stays the same" in client.get("/commitments").text


def test_custom_questions_carry_a_text_per_language(client: TestClient, web_db: str):
    """German text shown in German; French page, no French text: the default text, with the
    rest of the page still French."""
    with session_scope(web_db) as session:
        survey = create_survey(
            session,
            SurveyCreate(
                name="Sprachen",
                bank_questions=["uses_ai_any"],
                custom_questions=[
                    CustomQuestionIn(
                        text="Which meeting could an assistant summarise for you?",
                        scale="text",
                        texts={
                            "de": "Welche Besprechung könnte ein Assistent für Sie zusammenfassen?",
                            "ja": "アシスタントに要約してほしい会議はどれですか？",
                        },
                    )
                ],
            ),
        )
        token = create_open_link(session, survey)
    german = client.get(f"/s/{token}", headers={"accept-language": "de"})
    assert "Welche Besprechung könnte ein Assistent für Sie zusammenfassen?" in german.text
    assert "Which meeting could" not in german.text
    japanese = client.get(f"/s/{token}", headers={"accept-language": "ja"})
    assert "アシスタントに要約してほしい会議はどれですか？" in japanese.text
    french = client.get(f"/s/{token}", headers={"accept-language": "fr"})
    assert "Which meeting could an assistant summarise for you?" in french.text
    assert SEND["fr"] in french.text and BANK_QUESTION["fr"] in french.text


def test_a_custom_text_in_an_unknown_language_is_refused_naming_it():
    with pytest.raises(ValueError, match="no catalogue for language 'xx'"):
        CustomQuestionIn(text="A question here", scale="text", texts={"xx": "Eine Frage"})
    with pytest.raises(ValueError, match=r"texts\.de: between 5 and 300"):
        CustomQuestionIn(text="A question here", scale="text", texts={"de": "Was"})


def test_the_admin_form_takes_a_text_per_language(client: TestClient, web_db: str):
    from gaplens.surveys.models import BankQuestion

    sign_in(client, "admin")
    page = client.get("/admin/surveys")
    assert 'name="custom_1_text_de"' in page.text and 'name="custom_1_text_ja"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    made = client.post(
        "/admin/surveys",
        data={
            "csrf_token": csrf.group(1),
            "name": "Mehrsprachig",
            "bank_questions": "uses_ai_any",
            "custom_1_text": "What would you stop doing first?",
            "custom_1_scale": "text",
            "custom_1_text_fr": "Qu’arrêteriez-vous de faire en premier ?",
        },
    )
    assert made.status_code == 200, made.text
    with session_scope(web_db) as session:
        texts = session.scalars(
            select(BankQuestion.texts).where(BankQuestion.text.startswith("What would you stop"))
        ).one()
    assert texts == {"fr": "Qu’arrêteriez-vous de faire en premier ?"}


def test_answers_in_german_and_french_count_in_the_same_figures(client: TestClient, web_db: str):
    """The answer values are the same whatever the page's language: three answers through
    the German page and three through the French one are one histogram of six."""
    with session_scope(web_db) as session:
        survey = create_survey(
            session, SurveyCreate(name="Zwei Sprachen", bank_questions=["productivity_impact"])
        )
        token = create_open_link(session, survey)
    given = {
        "de": ("some gains", "no difference", "some gains"),
        "fr": ("no difference", "some gains", "worse"),
    }
    for language, answers in given.items():
        for answer in answers:
            page = client.get(f"/s/{token}", headers={"accept-language": language})
            assert html_lang(page.text) == language
            label = tr(language, answer)
            assert f'value="{answer}"> {label[:1].upper()}{label[1:]}</label>' in page.text
            sent = client.post(
                f"/s/{token}",
                headers={"accept-language": language},
                data={
                    "form_token": token_of(page.text),
                    "role_level": "individual_contributor",
                    "productivity_impact": answer,
                },
            )
            assert sent.status_code == 200, sent.text
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with session_scope(web_db) as session:
        survey = find_survey(session, "Zwei Sprachen")
        built = build_survey_release(session, survey, configured_policy(), today=tomorrow)
        assert built.release is not None and built.release.included == 6
        release = latest_survey_release(session, survey)
        assert release is not None
        # high gains, some gains, no difference, worse
        assert release.answers("productivity_impact", lambda code: True) == (6, [0, 3, 2, 1])


def test_a_refused_answer_is_explained_in_the_page_language(
    client: TestClient,
    links: Links,  # noqa: F811
):
    """The leaders-only question answered by an individual contributor, in German: the
    problem list names the question and says why, both in German."""
    client.headers["accept-language"] = "de"
    page = client.get(links.survey)
    refused = client.post(
        links.survey,
        data={
            "form_token": token_of(page.text),
            "role_level": "individual_contributor",
            "peers_effective_use": "agree",
        },
    )
    assert refused.status_code == 422
    assert "Bitte prüfen Sie diese Antwort" in refused.text
    assert "Die Mitarbeitenden nutzen die ihnen bereitgestellten KI-Tools wirksam." in refused.text
    assert "diese Frage richtet sich nur an Geschäftsleitung und Führungskräfte" in refused.text
