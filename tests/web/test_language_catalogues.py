"""The gettext catalogues are complete and current: what Babel extracts from the code and
templates (babel.cfg) is exactly messages.pot, every message has a real translation in every
catalogue (placeholders intact), the committed .mo files are those catalogues compiled, and
no respondent template keeps English text outside a translation."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from gaplens.i18n import LOCALE_DIR, available
from gaplens.web.pages import RESPONDENT_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "gaplens" / "web" / "templates"
OTHER_LANGUAGES = [code for code in available() if code != "en"]
PARTIALS = (
    "base.html.j2",
    "_stays_the_same.html.j2",
    "_useful_button.html.j2",
    "_post_body.html.j2",
)
"""Parts the respondent pages include."""
KEPT = {"gaplens", "Staff sign in"}
"""English on purpose: the product's name, and the link to the staff pages (which are
English, so the link says so and carries lang="en")."""


def extracted() -> set[str | tuple[str, ...]]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str | tuple[str, ...]] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def ids(cat: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in cat if m.id}


def test_the_template_is_what_babel_extracts():
    """messages.pot is current: run `pybabel extract` (docs/languages.md) after a change."""
    assert extracted() == ids(catalogue(LOCALE_DIR / "messages.pot"))


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_message_has_a_translation(language: str):
    cat = catalogue(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po")
    assert ids(cat) == ids(catalogue(LOCALE_DIR / "messages.pot")), "run pybabel update"
    untranslated = [m.id for m in cat if m.id and (not m.string or m.fuzzy)]
    assert untranslated == [], f"{language}: untranslated or fuzzy: {untranslated[:5]}"
    if isinstance(cat.num_plurals, int) and cat.num_plurals > 1:
        empty_forms = [m.id for m in cat if m.pluralizable and not all(m.string)]
        assert empty_forms == [], f"{language}: a plural form missing: {empty_forms}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in cat.check()]
    assert problems == [], f"{language}: placeholders differ: {problems}"
    # Not English copies: most messages differ from their msgid (a few, like "Team" or
    # "Idea", are the same word in some languages).
    same = [m.id for m in cat if m.id and m.string == m.id]
    assert len(same) < 10, f"{language}: {len(same)} messages left as English: {same}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_compiled_catalogue_is_current(language: str):
    """The committed .mo is the .po compiled: `pybabel compile -d gaplens/locale`."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(folder / "messages.po"))
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue()


STAFF_ONLY = re.compile(
    r"{% if can_write %}.*?{% endif %}"  # leaders' own controls on the public pages
    r"|{% macro (?:staff_links|sign_out).*?{% endmacro %}"
    r"|{% if viewer %}.*?{% else %}",  # the staff menu in base.html.j2
    re.S,
)
DROPPED = re.compile(
    r"{#.*?#}|{% trans.*?{% endtrans %}|{{.*?}}|{%.*?%}"
    r"|<style.*?</style>|<script.*?</script>|<svg.*?</svg>",
    re.S,
)


def english_left(source: str) -> list[str]:
    """Text a template writes itself, outside translations and expressions: in elements and
    in the attributes people read (placeholder, aria-label, title, alt)."""
    kept = DROPPED.sub(" ", STAFF_ONLY.sub(" ", source))
    readable = re.findall(r'(?:placeholder|aria-label|title|alt)="([^"]*)"', kept)
    text = re.sub(r"<[^>]+>", " ", kept)
    text = re.sub(r"\b(?:checked|selected|required|disabled)\b", " ", text)  # attributes
    for name in KEPT:
        text = text.replace(name, " ")
    pieces = [p.strip() for p in [*re.split(r"\s{2,}|\n", text), *readable]]
    return [p for p in pieces if re.search(r"[A-Za-z]{2,}", p)]


@pytest.mark.parametrize("template", sorted(RESPONDENT_TEMPLATES | set(PARTIALS)))
def test_no_english_left_in_a_respondent_template(template: str):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    assert english_left(source) == []


def test_the_check_finds_english_left():
    """The check can fail: plain text and an untranslated placeholder are found."""
    source = '<p>Send it</p><input placeholder="e.g. Copilot"><p>{{ _("Fine") }}</p>'
    assert english_left(source) == ["Send it", "e.g. Copilot"]
