"""Languages of the respondent pages: gettext catalogues under gaplens/locale, one folder per
language, found at startup, so a customer adds a language by adding a catalogue (see
docs/languages.md). Staff pages stay English.

The language is a presentation choice only: answers are stored as the same language-free
values whatever language the page was in, and the language itself is never stored with an
answer (one person answering in a rare language would otherwise be singled out).
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
"""The language the templates are written in, and the fallback for anything untranslated."""
DEFAULT_LANGUAGE_ENV = "GAPLENS_DEFAULT_LANGUAGE"
"""The organisation's language: what a person whose directory entry names no language (or
one gaplens has no catalogue for) receives their invitations in."""
LANGUAGE_PARAMETER = "lang"
"""`?lang=de` on a respondent page switches to German and remembers it in a cookie; the links
in invitations carry it too."""
COOKIE = "gaplens_lang"
"""Remembers a language picked with the switch (a preference, not an identifier)."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extraction looks for
    """Marks a string for extraction into the catalogues without translating it here: the
    value stays the English text (a stored answer value or a label key), translated when a
    page shows it."""
    return message


@lru_cache(maxsize=1)
def available() -> tuple[str, ...]:
    """English first, then every language with a compiled catalogue, sorted by code."""
    found = sorted(
        path.parent.parent.name
        for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
        if path.parent.parent.name != DEFAULT_LANGUAGE
    )
    return (DEFAULT_LANGUAGE, *found)


@lru_cache(maxsize=32)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue for `language` (English: the msgids themselves)."""
    if language == DEFAULT_LANGUAGE or language not in available():
        return gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def _tags(accept_language: str) -> list[str]:
    """The tags of an Accept-Language header, most preferred first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower().replace("_", "-")))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The language to show: one picked with the switch if we have it, else the browser's
    most preferred language we have (a regional tag like de-CH matches de), else English."""
    languages = available()
    if chosen in languages:
        return str(chosen)
    for tag in _tags(accept_language or ""):
        if tag == "*":
            break
        for candidate in (tag, tag.split("-", 1)[0]):
            if candidate in languages:
                return candidate
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=32)
def locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LANGUAGE)


def language_name(language: str) -> str:
    """The language's name in that language ("Deutsch", "日本語"), for the switch."""
    name = locale(language).get_display_name(locale(language)) or language
    return name[:1].upper() + name[1:]


def date_words(day: dt.date, language: str) -> str:
    """A day as people write it in the language ("7 December 2026", "7. Dezember 2026")."""
    return format_date(day, format="long", locale=locale(language))


def number_words(value: float, language: str) -> str:
    """A number with the language's separators (1,234.5 / 1.234,5 / 1 234,5)."""
    return format_decimal(value, locale=locale(language))


def pick_text(texts: Mapping[str, str], language: str, default: str) -> str:
    """A custom question's text in `language`, else its default text."""
    return texts.get(language) or default


def person_language(tag: str | None, default: str) -> str:
    """The language to write to a person in: their directory tag (`de-CH`, `ja_JP`, or an
    Accept-Language list as SCIM allows) if gaplens has it, else `default`."""
    for candidate in _tags(tag or ""):
        for code in (candidate, candidate.split("-", 1)[0]):
            if code in available():
                return code
    return default


def language_query(tag: str | None) -> str:
    """`?lang=de` for a link sent to a person whose directory entry names a language gaplens
    has (the page then opens in the message's language and remembers it in a cookie in
    their browser; nothing stores it with an answer), else "" (the browser chooses)."""
    chosen = person_language(tag, "")
    return f"?{urlencode({LANGUAGE_PARAMETER: chosen})}" if chosen else ""


def organisation_language(env: Mapping[str, str] | None = None) -> str:
    """`GAPLENS_DEFAULT_LANGUAGE` (a language gaplens has), else English; a ValueError
    naming the variable otherwise."""
    env = os.environ if env is None else env
    raw = env.get(DEFAULT_LANGUAGE_ENV, "").strip()
    if not raw:
        return DEFAULT_LANGUAGE
    if raw not in available():
        raise ValueError(f"{DEFAULT_LANGUAGE_ENV}={raw!r} must be one of {', '.join(available())}")
    return raw


def translate(language: str, message: str, **values: object) -> str:
    """`message` (a msgid marked with N_) in `language`, its `%(name)s` placeholders filled
    after translation, so a translator can move them within the sentence."""
    text = translations(language).gettext(message)
    return text % values if values else text


def long_date(day: dt.date, language: str) -> str:
    """A day with its weekday, for a deadline in a message ("Tuesday 22 December 2026",
    "Dienstag, 22. Dezember 2026", "2026年12月22日火曜日")."""
    if language == DEFAULT_LANGUAGE:
        return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"
    return format_date(day, format="full", locale=locale(language))
