"""Validation messages that quote what was typed, in the page's language, through real HTTP
(uvicorn on loopback): the survey in German and Japanese, the task map in Japanese. The
value is a placeholder filled in after translation, so the sentence around it is the
language's own."""

from __future__ import annotations

import re

import httpx

from gaplens.errors import ProblemCollector
from gaplens.i18n import available, translations
from tests.web.test_respondent_pages import Links, links  # noqa: F401 - the shared fixture
from tests.web.test_tasks import good_form


def form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "a form token on the page"
    return found.group(1)


def refused_survey(origin: str, path: str, language: str, typed: dict[str, str]) -> str:
    with httpx.Client(base_url=origin, headers={"accept-language": language}) as http:
        page = http.get(path)
        assert page.status_code == 200 and page.headers["content-language"] == language
        answer = http.post(
            path,
            data={
                "form_token": form_token(page.text),
                "role_level": "individual_contributor",
                **typed,
            },
        )
    assert answer.status_code == 422, answer.text[:300]
    assert answer.headers["content-language"] == language
    return answer.text


def test_survey_problems_quote_the_typed_value_in_german_and_japanese(
    live_server: str,
    links: Links,  # noqa: F811
):
    german = refused_survey(
        live_server,
        links.survey,
        "de",
        {"perceived_time_saved": "viel", "uses_ai_any": "vielleicht", "perceived_speedup": "900"},
    )
    assert "Bitte prüfen Sie diese Antworten" in german
    assert "„viel“ ist keine Zahl" in german
    assert "„vielleicht“ ist keine der Antwortmöglichkeiten (" in german
    assert "900 liegt nicht zwischen -100 und 500" in german
    assert "is not a number" not in german and "is not an option" not in german

    japanese = refused_survey(
        live_server,
        links.survey,
        "ja",
        {"perceived_time_saved": "たくさん", "uses_ai_any": "たぶん"},
    )
    assert "「たくさん」は数値ではありません" in japanese
    assert "「たぶん」は選択肢にありません（" in japanese
    assert "is not" not in japanese


def test_task_map_problems_in_japanese(live_server: str, task_link: str):
    values = good_form()
    values["hours.email-replies"] = "99"
    values["hours.ticket-triage"] = "二時間"
    with httpx.Client(base_url=live_server, headers={"accept-language": "ja"}) as http:
        page = http.get(task_link, params={"function": "Support"})
        answer = http.post(task_link, data={"form_token": form_token(page.text), **values})
    assert answer.status_code == 422
    assert "「99」は週0～40時間の範囲外です" in answer.text
    assert "「二時間」は時間数ではありません" in answer.text
    assert "hours per week" not in answer.text


def test_every_quoting_message_keeps_its_placeholders_in_every_catalogue():
    """A message with a value, as the validators write it, is a catalogue entry whose
    translation takes the same named values (so `%` can never fail on a page)."""
    problems = ProblemCollector("form")
    problems.add("'%(value)s' is not a number", None, "x", {"value": "abc"})
    (problem,) = problems.problems
    assert problem.message == "'abc' is not a number" and problem.template is not None
    for language in available()[1:]:
        text = translations(language).gettext(problem.template)
        assert text != problem.template and "%(value)s" in text
        assert "abc" in text % dict(problem.values)
