"""Themes in free-text feedback: TF-IDF + NMF, fully offline and deterministic.

NMF over TF-IDF is used rather than embeddings or LDA because it needs no model files,
runs in seconds on tens of thousands of comments, gives additive "parts" whose top
terms read as a theme, and is deterministic with an SVD-based start.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from gaplens.themes.sentiment import score_clean, sentiment_label
from gaplens.themes.text import clean_text

FloatArray = npt.NDArray[np.float64]

# Words every comment about workplace AI uses; they would glue all themes together.
_DOMAIN_STOP_TEXT: Final = """
ai tool tools really just like use used using uses get gets got thing things lot lots
also actually pretty quite bit stuff think feel felt know way make makes made
want wants need needs going gonna kind sort maybe probably basically honestly
literally definitely sure ok okay yes yeah good bad work working works
dont doesnt didnt isnt wasnt arent werent wont wouldnt couldnt shouldnt cant
havent hasnt hadnt im ive id ill youre youve theyre weve its thats theres whats
lets don doesn didn isn wasn aren weren won wouldn couldn shouldn haven hasn hadn
went goes gone come comes came ll ve re amp nbsp br fwiw imo imho tbh etc eg ie na
"""
DOMAIN_STOP_WORDS: Final = frozenset(_DOMAIN_STOP_TEXT.split())
STOP_WORDS: Final = ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS

_CHUNK_BREAK: Final = re.compile(r"[.!?;:,()\[\]{}\"\n]+|\s[-–—]\s")
_WORD: Final = re.compile(r"[^\W\d_][^\W_]*")

# A text joins its strongest component only if that weight (its TF-IDF vector is unit
# length and component term vectors are too, so this is roughly a cosine) clears this.
ASSIGN_FLOOR: Final = 0.1
_TOP_TERMS: Final = 8
_REPRESENTATIVES: Final = 3
_MAX_FEATURES: Final = 20_000
_STAND_IN: Final = 0.5
# The product's smallest reportable group (privacy rule 1).
_TERM_MIN_TEXTS: Final = 5
_MAX_CHARS: Final = 10_000
# First pass plus at most two passes over the texts no theme could place.
_PASSES: Final = 3
# Splitting one topic into near-duplicate themes is NMF's usual failure on feedback (it
# lowers error by modelling paraphrases), while a topic left out by a small k gets the
# next pass. So exclusivity weighs most: on the synthetic corpora in tests/themes and
# bench/themes.py, powers 5-8 recover every planted topic, 1-4 split dominant topics
# and 10 merges eight topics into one.
_EXCLUSIVITY_POWER: Final = 6
# Stability: refits on 70% of the texts (of at most 4,000, which is plenty to tell a
# real theme from a split and keeps 10,000 comments well inside the time budget).
_STABILITY_RUNS: Final = 3
_STABILITY_FRACTION: Final = 0.7
_STABILITY_MAX_DOCS: Final = 4_000


@dataclass(frozen=True)
class Theme:
    """One theme: its terms, who is in it (internal indices) and how it feels.

    sentiment is the mean compound score of the members; sentiment_label applies the
    thresholds documented in gaplens.themes.sentiment (THEME_*).
    """

    key: str
    label: str
    terms: tuple[str, ...]
    size: int
    members: tuple[int, ...]
    representative: tuple[int, ...]
    sentiment: float
    sentiment_label: str


def _chunks(text: str) -> list[list[str]]:
    """Runs of adjacent content words; bigrams are only formed inside a run.

    Punctuation and stop words both end a run, so bigrams are real phrases ("code
    review", "action items") rather than pairs that met once stop words were removed
    ("summary meeting" from "summary of every meeting").
    """
    runs: list[list[str]] = []
    for chunk in _CHUNK_BREAK.split(text.lower().replace("'", "")):
        run: list[str] = []
        for word in _WORD.findall(chunk):
            if len(word) > 1 and word not in STOP_WORDS:
                run.append(word)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
    return runs


def _plural_folds(vocabulary: set[str]) -> dict[str, str]:
    """Map plurals to a singular seen in the same corpus ("reviews" -> "review").

    Only folds when the singular occurs too, which avoids the damage a blind stemmer
    does to labels ("news" stays "news" unless "new" is also a content word).
    """
    folds = {}
    for word in vocabulary:
        if len(word) > 3 and word.endswith("ies") and word[:-3] + "y" in vocabulary:
            folds[word] = word[:-3] + "y"
        elif (
            len(word) > 3
            and word.endswith("s")
            and not word.endswith(("ss", "us", "is"))
            and word[:-1] in vocabulary
        ):
            folds[word] = word[:-1]
    return folds


def _features(chunks: list[list[str]], folds: dict[str, str]) -> list[str]:
    """Unigrams and within-run bigrams: "code review" means more than its two words."""
    out: list[str] = []
    for chunk in chunks:
        words = [folds.get(w, w) for w in chunk]
        out.extend(words)
        out.extend(f"{a} {b}" for a, b in itertools.pairwise(words) if a != b)
    return out


def _min_df(n_docs: int, min_theme_size: int) -> int:
    """Terms must recur to describe a group; rarer ones are typos and private detail.

    Grows with the corpus (0.1% of texts) but never past half the smallest theme, so a
    theme of min_theme_size texts can still be described by its own words.
    """
    return max(2, min(math.ceil(n_docs / 1000), max(2, min_theme_size // 2)))


def _tfidf(docs: list[list[str]], min_df: int) -> tuple[sparse.csr_matrix | None, list[str]]:
    """Sublinear TF-IDF, L2-normalised rows; None when no term is frequent enough.

    There is deliberately no upper document-frequency cut: when most people write about
    one thing, its words are exactly what names that theme, and IDF already discounts
    words that are everywhere.
    """
    df = Counter(term for doc in docs for term in set(doc))
    kept = [t for t, c in df.items() if c >= min_df]
    if not kept:
        return None, []
    kept.sort(key=lambda t: (-df[t], t))
    vocabulary = sorted(kept[:_MAX_FEATURES])
    index = {t: i for i, t in enumerate(vocabulary)}
    rows, cols, vals = [], [], []
    for r, doc in enumerate(docs):
        for term, count in Counter(t for t in doc if t in index).items():
            rows.append(r)
            cols.append(index[term])
            vals.append(count)
    counts = sparse.csr_matrix(
        (np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(len(docs), len(vocabulary))
    )
    matrix = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    return sparse.csr_matrix(matrix), vocabulary


def _nmf(matrix: sparse.csr_matrix, k: int, seed: int) -> tuple[FloatArray, FloatArray]:
    """Fit NMF and rescale so each component's term vector has unit length."""
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=300, tol=1e-4)
    # A perfect fit makes sklearn take the square root of a rounding error below zero.
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = np.asarray(model.fit_transform(matrix), dtype=np.float64)
    h = np.asarray(model.components_, dtype=np.float64)
    # With k above the matrix rank the SVD start can divide by zero: such components
    # carry no signal, and zeros score them as such instead of poisoning the choice.
    w, h = np.nan_to_num(w, nan=0.0, posinf=0.0), np.nan_to_num(h, nan=0.0, posinf=0.0)
    norms = np.linalg.norm(h, axis=1)
    norms[norms == 0] = 1.0
    return w * norms, h / norms[:, None]


def _stability(
    matrix: sparse.csr_matrix, h: FloatArray, k: int, seed: int, rng: np.random.Generator
) -> float:
    """How well the components reappear when refitted on random subsets of the texts.

    Real themes come back (their term vectors match one-to-one, cosine near 1); a split
    of one topic into arbitrary halves, or a merge of two, changes with the sample.
    This is the stability criterion of Greene, O'Callaghan & Cunningham (2014), with
    term-vector cosine instead of top-term overlap, which ties make noisy.
    """
    n = matrix.shape[0]
    size = max(k, int(_STABILITY_FRACTION * min(n, _STABILITY_MAX_DOCS)))
    agreement = []
    for _ in range(_STABILITY_RUNS):
        rows = np.sort(rng.choice(n, size=size, replace=False))
        _, h_sub = _nmf(matrix[rows], k, seed)
        cosine = h @ h_sub.T
        ref, sub = linear_sum_assignment(-cosine)
        agreement.append(float(cosine[ref, sub].mean()))
    return float(np.mean(agreement))


def _choose_k(matrix: sparse.csr_matrix, k_max: int, seed: int) -> tuple[FloatArray, FloatArray]:
    """Fit NMF for each k from 1 to k_max and keep the best; ties go to the smaller k.

    Score = stability x exclusivity^_EXCLUSIVITY_POWER x fit, each in 0..1: themes that
    come back on resampling, texts that belong to one theme rather than spreading over
    several (low when a topic is split), and how much of a text its one theme explains,
    over every text with words (low when topics are merged or left out).
    Reconstruction error alone has no usable elbow on short texts: it falls almost
    linearly with k.
    """
    rng = np.random.default_rng(seed)
    has_words = np.diff(matrix.indptr) > 0
    best: tuple[float, FloatArray, FloatArray] | None = None
    for k in range(1, k_max + 1):
        w, h = _nmf(matrix, k, seed)
        strongest = w.max(axis=1)
        signal = strongest >= ASSIGN_FLOOR
        if not signal.any():
            continue
        exclusivity = float(np.mean(strongest[signal] / w[signal].sum(axis=1)))
        fit = float(np.mean(strongest[has_words]))
        score = _stability(matrix, h, k, seed, rng) * exclusivity**_EXCLUSIVITY_POWER * fit
        if best is None or score > best[0]:
            best = (score, w, h)
    if best is None:
        return _nmf(matrix, 1, seed)
    return best[1], best[2]


def _theme_terms(
    h_row: FloatArray, vocabulary: list[str], member_df: npt.NDArray[np.int64], min_texts: int
) -> tuple[str, ...]:
    """Top terms, with a bigram standing in for its words when it carries them.

    "code review" reads better than "review", "code", "code review"; a word stays on
    its own when no listed bigram has at least _STAND_IN of its weight. A term is only
    listed if at least min_texts of the theme's texts use it, so a label never quotes
    the wording (or a name) of one or two people.
    """
    order = np.argsort(-h_row, kind="stable")
    candidates = [
        (vocabulary[i], float(h_row[i]))
        for i in order
        if h_row[i] > 0 and member_df[i] >= min_texts
    ][: _TOP_TERMS * 3]
    weight = dict(candidates)
    stand_in: dict[str, str] = {}
    for term, value in candidates:
        if " " in term:
            for part in term.split(" "):
                if part in weight and value >= _STAND_IN * weight[part]:
                    stand_in.setdefault(part, term)
    terms: list[str] = []
    for term, _ in candidates:
        chosen = stand_in.get(term, term)
        if chosen not in terms:
            terms.append(chosen)
    return tuple(terms[:_TOP_TERMS])


def _label(terms: tuple[str, ...]) -> tuple[str, ...]:
    """Two or three leading terms, at most four words, none repeating another's word."""
    picked: list[str] = []
    words: set[str] = set()
    for term in terms:
        parts = set(term.split())
        if parts & words or len(words) + len(parts) > 4:
            continue
        picked.append(term)
        words |= parts
        if len(picked) == 3 or (len(picked) == 2 and len(words) >= 3):
            break
    return tuple(picked)


def _slug(parts: tuple[str, ...]) -> str:
    """ASCII slug of the label terms; a stable hash when nothing ASCII survives (CJK)."""
    joined = " ".join(parts)
    folded = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if slug:
        return slug
    return "theme-" + hashlib.sha1(joined.encode()).hexdigest()[:8]


def _length_preference(words: int) -> float:
    """1 for 8-40 words, less for very short or very long texts.

    A one-liner is rarely typical and a long text is hard to scan and more likely to
    identify its writer, so both lose out to a medium text with a similar weight.
    """
    return min(1.0, words / 8) * min(1.0, 40 / max(words, 1))


def _representatives(
    members: list[int], weights: dict[int, float], cleaned: list[str]
) -> tuple[int, ...]:
    """Up to three members most typical of the theme, no two with the same text."""
    ranked = sorted(
        members,
        key=lambda i: (-weights[i] * _length_preference(len(cleaned[i].split())), i),
    )
    chosen: list[int] = []
    seen: set[str] = set()
    for i in ranked:
        norm = " ".join(cleaned[i].lower().split())
        if norm not in seen:
            seen.add(norm)
            chosen.append(i)
        if len(chosen) == _REPRESENTATIVES:
            break
    return tuple(chosen)


def _unique_key(terms: tuple[str, ...], taken: set[str]) -> str:
    """Slug of the label terms, suffixed -2, -3... if an earlier theme has it."""
    base = _slug(terms) if terms else "unlabelled"
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(key)
    return key


@dataclass(frozen=True)
class _Found:
    """A theme before it is labelled and scored: indices are into the caller's texts."""

    members: list[int]
    weights: dict[int, float]
    terms: tuple[str, ...]


def _find(
    indices: list[int], cleaned: list[str], max_themes: int, min_theme_size: int, seed: int
) -> tuple[list[_Found], list[int]]:
    """One TF-IDF + NMF pass over cleaned[indices]: themes, and the texts with no signal.

    Texts in components smaller than min_theme_size are neither: they had a theme, it
    was too small to report.
    """
    runs = [_chunks(cleaned[i]) for i in indices]
    folds = _plural_folds({w for doc in runs for run in doc for w in run})
    matrix, vocabulary = _tfidf(
        [_features(doc, folds) for doc in runs], _min_df(len(indices), min_theme_size)
    )
    if matrix is None:
        return [], []
    # nndsvda needs k <= both matrix dimensions; each theme needs min_theme_size texts.
    k_max = min(max_themes, len(indices) // min_theme_size, len(vocabulary))
    w, h = _choose_k(matrix, k_max, seed)

    strongest = w.argmax(axis=1)
    rows_by_component: dict[int, list[int]] = {}
    no_signal: list[int] = []
    for row, text_index in enumerate(indices):
        component = int(strongest[row])
        if w[row, component] >= ASSIGN_FLOOR:
            rows_by_component.setdefault(component, []).append(row)
        elif matrix[row].nnz:
            no_signal.append(text_index)

    present = (matrix > 0).astype(np.int64).tocsr()
    found: list[_Found] = []
    for component in sorted(rows_by_component):
        rows = rows_by_component[component]
        if len(rows) < min_theme_size:
            continue
        member_df = np.asarray(present[rows].sum(axis=0), dtype=np.int64).ravel()
        terms = _theme_terms(
            h[component], vocabulary, member_df, min(_TERM_MIN_TEXTS, min_theme_size)
        )
        found.append(
            _Found(
                members=[indices[r] for r in rows],
                weights={indices[r]: float(w[r, component]) for r in rows},
                terms=terms,
            )
        )
    return found, no_signal


def extract_themes(
    texts: Sequence[str], max_themes: int = 8, min_theme_size: int = 10, seed: int = 0
) -> list[Theme]:
    """Group texts into at most max_themes themes, largest first.

    Members and representatives index into texts; they are internal and must go
    through the privacy rules before anything is shown. Texts with no usable words,
    and texts whose theme ends up smaller than min_theme_size, belong to no theme.
    The result depends only on the inputs and seed.

    Texts the first pass could not place get passes of their own: NMF explains the
    most variance by splitting big topics, so a small but coherent topic (a few dozen
    job-security worries among hundreds of tooling comments) only surfaces once the
    big topics are out of the way.
    """
    if max_themes < 1:
        raise ValueError(f"max_themes must be at least 1, got {max_themes!r}")
    if min_theme_size < 1:
        raise ValueError(f"min_theme_size must be at least 1, got {min_theme_size!r}")
    cleaned = [clean_text(t[:_MAX_CHARS]) for t in texts]
    remaining = [i for i, t in enumerate(cleaned) if t]
    found: list[_Found] = []
    # The dense algebra here is tall and thin (texts x k): BLAS threads only add
    # start-up and contention (3x slower on a busy 2-core machine), and one thread
    # gives the same floating-point result whatever the core count.
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(_PASSES):
            if len(remaining) < min_theme_size or len(found) >= max_themes:
                break
            more, remaining = _find(
                remaining, cleaned, max_themes - len(found), min_theme_size, seed
            )
            if not more:
                break
            found.extend(more)

    taken: set[str] = set()
    themes: list[Theme] = []
    for theme in found:
        label_terms = _label(theme.terms)
        scores = [score_clean(cleaned[i]) for i in theme.members]
        themes.append(
            Theme(
                key=_unique_key(label_terms, taken),
                label=" · ".join(label_terms).capitalize() if label_terms else "Unlabelled",
                terms=theme.terms,
                size=len(theme.members),
                members=tuple(theme.members),
                representative=_representatives(theme.members, theme.weights, cleaned),
                sentiment=sum(scores) / len(scores),
                sentiment_label=sentiment_label(scores),
            )
        )
    themes.sort(key=lambda t: (-t.size, t.members[0]))
    return themes
