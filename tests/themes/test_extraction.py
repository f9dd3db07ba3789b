"""Theme extraction recovers planted topics from a noisy synthetic corpus."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gaplens.themes import Theme, extract_themes
from gaplens.themes.extraction import _representatives
from tests.themes.corpus import TOPICS, build_corpus

# Words a reader would expect in the terms of each planted topic's theme.
EXPECTED_TERM = {
    "code_review": "review",
    "meeting_summaries": "meeting",
    "customer_email": "customer",
    "job_security": "job",
}


@pytest.fixture(scope="module", params=[7, 11, 23], ids=lambda s: f"corpus{s}")
def corpus(request) -> tuple[list[str], list[str], list[Theme]]:
    texts, truth = build_corpus(per_topic=75, noise=10, seed=request.param)
    return texts, truth, extract_themes(texts)


def home_of(topic: str, truth: list[str], themes: list[Theme]) -> tuple[int | None, float]:
    """The theme holding most of a topic's texts, and the share it holds."""
    where = {i: n for n, theme in enumerate(themes) for i in theme.members}
    texts_of_topic = [i for i, label in enumerate(truth) if label == topic]
    theme, count = Counter(where.get(i) for i in texts_of_topic).most_common(1)[0]
    return theme, count / len(texts_of_topic)


def test_each_planted_topic_lands_mostly_in_one_theme_of_its_own(corpus):
    texts, truth, themes = corpus
    assert len(texts) == 310
    homes = {}
    for topic in TOPICS:
        theme, share = home_of(topic, truth, themes)
        assert theme is not None, f"{topic} has no theme"
        assert share >= 0.8, f"only {share:.0%} of {topic} in one theme"
        homes[topic] = theme
    assert len(set(homes.values())) == len(TOPICS), homes
    assert len(themes) == len(TOPICS)


def test_themes_are_named_after_their_topic(corpus):
    _, truth, themes = corpus
    for topic, word in EXPECTED_TERM.items():
        theme, _ = home_of(topic, truth, themes)
        assert theme is not None
        assert any(word in term.split() for term in themes[theme].terms), themes[theme].terms
        assert word in themes[theme].label.lower()


def test_membership_is_consistent(corpus):
    texts, truth, themes = corpus
    assert sum(t.size for t in themes) <= len(texts)
    seen: set[int] = set()
    for theme in themes:
        assert theme.size == len(theme.members)
        assert list(theme.members) == sorted(set(theme.members))
        assert all(0 <= i < len(texts) for i in theme.members)
        assert not seen & set(theme.members), "a text belongs to two themes"
        seen |= set(theme.members)
        assert all(texts[i].strip() for i in theme.members), "empty text in a theme"
    noise_placed = sum(1 for i in seen if truth[i] == "")
    assert noise_placed <= 3


def test_representatives_are_distinct_members(corpus):
    texts, _, themes = corpus
    for theme in themes:
        assert 1 <= len(theme.representative) <= 3
        assert set(theme.representative) <= set(theme.members)
        assert len({texts[i].lower() for i in theme.representative}) == len(theme.representative)


def test_theme_fields_are_well_formed(corpus):
    _, _, themes = corpus
    assert [t.size for t in themes] == sorted((t.size for t in themes), reverse=True)
    assert len({t.key for t in themes}) == len(themes)
    for theme in themes:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", theme.key)
        assert 1 <= len(theme.terms) <= 8
        assert 1 <= theme.label.count("·") + 1 <= 3
        assert theme.label[0].isupper()
        assert -1.0 <= theme.sentiment <= 1.0
        assert theme.sentiment_label in {"negative", "mixed", "positive"}


def test_sentiment_follows_the_topic(corpus):
    _, truth, themes = corpus
    complaints, _ = home_of("customer_email", truth, themes)
    time_saving, _ = home_of("meeting_summaries", truth, themes)
    worries, _ = home_of("job_security", truth, themes)
    assert complaints is not None and time_saving is not None and worries is not None
    assert themes[complaints].sentiment < 0
    assert themes[complaints].sentiment_label == "negative"
    assert themes[time_saving].sentiment > 0
    assert themes[time_saving].sentiment_label == "positive"
    assert themes[worries].sentiment < 0


def test_deterministic_for_a_seed():
    texts, _ = build_corpus(seed=7)
    assert extract_themes(texts, seed=3) == extract_themes(list(texts), seed=3)


def test_other_seeds_recover_the_topics_too():
    texts, truth = build_corpus(seed=7)
    themes = extract_themes(texts, seed=1)
    homes = [home_of(topic, truth, themes) for topic in TOPICS]
    assert all(theme is not None and share >= 0.8 for theme, share in homes)
    assert len({theme for theme, _ in homes}) == len(TOPICS)


def test_a_small_topic_is_found_next_to_big_ones():
    counts = {"code_review": 75, "meeting_summaries": 75, "customer_email": 75, "job_security": 20}
    texts, truth = build_corpus(counts, seed=0)
    themes = extract_themes(texts)
    theme, share = home_of("job_security", truth, themes)
    assert theme is not None and share >= 0.8
    assert len(themes) == 4


def test_a_dominant_topic_is_not_split_into_paraphrases():
    counts = {"code_review": 200, "meeting_summaries": 30, "customer_email": 15, "job_security": 15}
    texts, truth = build_corpus(counts, seed=0)
    themes = extract_themes(texts)
    assert len(themes) == 4
    for topic in counts:
        theme, share = home_of(topic, truth, themes)
        assert theme is not None and share >= 0.8


def test_min_theme_size_is_respected():
    counts = {"code_review": 75, "meeting_summaries": 75, "customer_email": 75, "job_security": 20}
    texts, truth = build_corpus(counts, seed=0)
    themes = extract_themes(texts, min_theme_size=30)
    assert themes
    assert all(t.size >= 30 for t in themes)
    placed = {i for t in themes for i in t.members}
    assert not any(truth[i] == "job_security" for i in placed)


def test_max_themes_is_respected():
    texts, _ = build_corpus(seed=7)
    assert len(extract_themes(texts, max_themes=2)) <= 2
    assert len(extract_themes(texts, max_themes=1)) == 1


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ["Code review is slow."],
        ["Code review is slow."] * 9,
        ["", "   ", "\n\t"] * 20,
        ["n/a", "ok", "-", "none", "?"] * 10,
        ["the and of it is"] * 30,
    ],
    ids=["empty", "one", "below-min-size", "whitespace", "throwaway", "stop-words"],
)
def test_too_little_signal_gives_no_themes(texts):
    assert extract_themes(texts) == []


def test_a_corpus_that_says_one_thing_is_one_theme():
    texts = ["The meeting summaries save me an hour every week."] * 12
    themes = extract_themes(texts)
    assert len(themes) == 1
    assert themes[0].size == 12
    assert len(themes[0].representative) == 1  # identical texts are not repeated


def test_html_and_odd_unicode_are_just_text():
    texts, truth = build_corpus(seed=7)
    decorated = [
        f"<div onclick='x()'>{t}</div>\u200b&#x1F600;" if n % 3 == 0 else f"\ufeff{t}\u202e"
        for n, t in enumerate(texts)
    ]
    decorated += ["<script>alert(1)</script>", "\x00\x01\x02", "𝕮𝖔𝖉𝖊 𝖗𝖊𝖛𝖎𝖊𝖜", "コードレビュー"] * 3
    themes = extract_themes(decorated)
    for topic in TOPICS:
        theme, share = home_of(topic, truth + [""] * 12, themes)
        assert theme is not None and share >= 0.8
    assert all("<" not in term and "script" not in term for t in themes for term in t.terms)


def test_labels_only_use_terms_shared_by_several_texts():
    # Four people name a colleague; a term needs five texts of its theme to be listed.
    texts = [
        "Code review with Zebediah takes forever.",
        "Zebediah blocks every code review for days.",
        "Code review waits on Zebediah all week.",
        "Zebediah is the code review bottleneck.",
        *[f"Code review is slow, pull requests wait {n} days." for n in range(2, 14)],
    ]
    themes = extract_themes(texts)
    assert themes
    assert all("zebediah" not in term for t in themes for term in t.terms)


def test_representatives_prefer_medium_length_texts():
    cleaned = [
        "Review slow.",
        " ".join(["word"] * 15),
        " ".join(["word"] * 12),
        " ".join(["word"] * 10),
        " ".join(["word"] * 300),
        "Review slow.",
    ]
    # The two-word and 300-word texts weigh most, but a reader learns more from the
    # medium ones; the duplicate of text 0 is never shown twice.
    weights = {0: 0.9, 1: 0.7, 2: 0.65, 3: 0.6, 4: 0.8, 5: 0.9}
    assert _representatives([0, 1, 2, 3, 4, 5], weights, cleaned) == (1, 2, 3)
    weights = {0: 0.9, 1: 0.1, 2: 0.1, 3: 0.1, 4: 0.1, 5: 0.9}
    assert _representatives([0, 1, 2, 3, 4, 5], weights, cleaned)[0] == 0


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="max_themes"):
        extract_themes(["x"], max_themes=0)
    with pytest.raises(ValueError, match="min_theme_size"):
        extract_themes(["x"], min_theme_size=0)


WORDS = ["review", "code", "slow", "meeting", "summary", "saves", "time", "email", "wrong", "job"]
text_strategy = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from([*WORDS, "<b>", "&amp;", "\u200b", "🙂", "\n"]), max_size=12).map(
        " ".join
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(texts=["A0", "B0", "0", "B0", "A0"], max_themes=2, min_theme_size=1, seed=2)  # NaN fit
@given(
    texts=st.lists(text_strategy, max_size=40),
    max_themes=st.integers(1, 4),
    min_theme_size=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1),
)
def test_arbitrary_text_never_raises(texts, max_themes, min_theme_size, seed):
    themes = extract_themes(texts, max_themes=max_themes, min_theme_size=min_theme_size, seed=seed)
    assert len(themes) <= max_themes
    assert sum(t.size for t in themes) <= len(texts)
    for theme in themes:
        assert theme.size >= min_theme_size
        assert set(theme.representative) <= set(theme.members)
        assert all(0 <= i < len(texts) for i in theme.members)
        assert -1.0 <= theme.sentiment <= 1.0
