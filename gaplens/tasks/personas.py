"""Personas from answer patterns: clustering respondents' task-stance vectors (pure).

Each respondent of one function is a vector with one entry per catalogue task: +1 keep,
0 neither, -1 hate. k-means is fitted for k = 2 .. 6 and the k with the best silhouette is
kept. Noise has a silhouette too, so the answers count as having group structure only when
that silhouette is at least 0.15 and beats, by 0.1, the best the same k reaches on the
answers with each task's column shuffled on its own (same answer mix per task, no pattern
across tasks; three shuffles); otherwise everyone is one persona. Clusters smaller than
`min_size` (the privacy threshold) are folded, smallest first, into the nearest remaining
centroid, so every persona that can be shown has at least `min_size` members and nobody is
dropped silently.

Deterministic: rows are sorted before fitting (k-means++ depends on row order), k-means runs
with a fixed seed and a fixed number of starts, and clusters are numbered by size, then
centroid, so the same answers and seed always give the same personas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STANCE_VALUE = {"keep": 1.0, "neither": 0.0, "hate": -1.0}
MAX_K = 6
MIN_SILHOUETTE = 0.15
NULL_DRAWS = 3
NULL_MARGIN = 0.1
N_INIT = 10
DEFAULT_SEED = 7


@dataclass(frozen=True)
class Clustering:
    labels: IntArray
    """Persona number per input row, 0 = the largest persona."""
    k_tried: tuple[int, ...]
    k_chosen: int
    silhouette: float | None
    """Of the chosen k before merging; None when no k could be tried."""
    merged: int
    """Clusters folded into a neighbour for being smaller than min_size."""
    null: float | None = None
    """The silhouette the same k reaches on shuffled answers (None when not computed)."""

    @property
    def personas(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0


def cluster_stances(
    vectors: FloatArray, min_size: int, seed: int = DEFAULT_SEED, max_k: int = MAX_K
) -> Clustering:
    """Cluster rows of `vectors` into personas of at least `min_size` rows each.

    Fewer than `min_size` rows give no persona at all (every label -1)."""
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("vectors must be a two-dimensional array")
    n = x.shape[0]
    if n < min_size:
        return Clustering(np.full(n, -1, dtype=np.int64), (), 0, None, 0)
    order = np.lexsort(x.T[::-1]) if x.shape[1] else np.arange(n)
    sorted_x = x[order]
    labels, tried, best_k, best_score, null = _best_kmeans(sorted_x, min_size, seed, max_k)
    labels, merged = _merge_small(sorted_x, labels, min_size)
    labels = _canonical(sorted_x, labels)
    result = np.empty(n, dtype=np.int64)
    result[order] = labels
    return Clustering(result, tried, best_k, best_score, merged, null)


def _best_kmeans(
    x: FloatArray, min_size: int, seed: int, max_k: int
) -> tuple[IntArray, tuple[int, ...], int, float | None, float | None]:
    # scikit-learn takes seconds to import; only a task round with answers clusters.
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = x.shape[0]
    distinct = len(np.unique(x, axis=0))
    top = min(max_k, n // min_size, distinct, n - 1)
    best: tuple[float, int, IntArray] | None = None
    tried = []
    with threadpool_limits(limits=1):
        for k in range(2, top + 1):
            model = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed)
            labels = model.fit_predict(x).astype(np.int64)
            if len(np.unique(labels)) < 2:
                continue
            tried.append(k)
            score = float(silhouette_score(x, labels))
            if best is None or score > best[0] + 1e-12:
                best = (score, k, labels)
        null = None
        if best is not None and best[0] >= MIN_SILHOUETTE:
            null = null_silhouette(x, best[1], seed)
    if best is None or null is None or best[0] <= null + NULL_MARGIN:
        return np.zeros(n, dtype=np.int64), tuple(tried), 1, best[0] if best else None, null
    return best[2], tuple(tried), best[1], best[0], null


def null_silhouette(x: FloatArray, k: int, seed: int, draws: int = NULL_DRAWS) -> float:
    """The best silhouette k-means reaches on the same answers with each task's column
    shuffled on its own: same answer mix per task, no pattern across tasks. Noise always
    has some silhouette; a real persona structure must beat this one."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    best = 0.0
    for _ in range(draws):
        permuted = np.column_stack([rng.permutation(column) for column in x.T])
        labels = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit_predict(permuted)
        if len(np.unique(labels)) > 1:
            best = max(best, float(silhouette_score(permuted, labels)))
    return best


def _centroids(x: FloatArray, labels: IntArray) -> dict[int, FloatArray]:
    return {int(c): x[labels == c].mean(axis=0) for c in np.unique(labels)}


def _merge_small(x: FloatArray, labels: IntArray, min_size: int) -> tuple[IntArray, int]:
    """Fold the smallest cluster under `min_size` into the nearest other centroids (member by
    member), until every cluster is large enough or one is left."""
    labels = labels.copy()
    merged = 0
    while True:
        sizes = {int(c): int((labels == c).sum()) for c in np.unique(labels)}
        small = [c for c, size in sizes.items() if size < min_size]
        if not small or len(sizes) == 1:
            return labels, merged
        victim = min(small, key=lambda c: (sizes[c], c))
        centres = _centroids(x, labels)
        others = sorted(c for c in centres if c != victim)
        targets = np.stack([centres[c] for c in others])
        for row in np.flatnonzero(labels == victim):
            distances = ((targets - x[row]) ** 2).sum(axis=1)
            labels[row] = others[int(np.argmin(distances))]
        merged += 1


def _canonical(x: FloatArray, labels: IntArray) -> IntArray:
    """Number clusters 0, 1, ... by size (largest first), then by centroid."""
    centres = _centroids(x, labels)
    ranking = sorted(
        centres, key=lambda c: (-int((labels == c).sum()), tuple(np.round(centres[c], 9)))
    )
    mapping = {old: new for new, old in enumerate(ranking)}
    return np.asarray([mapping[int(c)] for c in labels], dtype=np.int64)


def stance_matrix(answers: Sequence[dict[str, str]], tasks: Sequence[str]) -> FloatArray:
    """One row per respondent (task -> stance), one column per task, in `tasks` order."""
    return np.asarray(
        [[STANCE_VALUE[answer[task]] for task in tasks] for answer in answers],
        dtype=np.float64,
    ).reshape(len(answers), len(tasks))


@dataclass(frozen=True)
class DefiningTask:
    task: str
    count: int
    n: int
    share: float
    base_share: float

    @property
    def lift(self) -> float:
        return self.share - self.base_share


LIFT_FLOOR = 0.15
"""A task defines a persona when its share there is at least 15 points above the group's."""
MAJORITY = 0.5


def defining_tasks(
    members: Sequence[dict[str, str]],
    everyone: Sequence[dict[str, str]],
    tasks: Sequence[str],
    stance: str,
    limit: int = 2,
) -> list[DefiningTask]:
    """Tasks most members take `stance` on, far more than the whole group does: a majority
    of the persona, at least LIFT_FLOOR above the group, largest lift first (then share,
    then task key)."""
    result = []
    for task in tasks:
        count = sum(m[task] == stance for m in members)
        share = count / len(members)
        base = sum(e[task] == stance for e in everyone) / len(everyone)
        if share >= MAJORITY and share - base >= LIFT_FLOOR:
            result.append(DefiningTask(task, count, len(members), share, base))
    if not result:
        # A persona may differ by degree only: then its strongest majority defines it.
        for task in tasks:
            count = sum(m[task] == stance for m in members)
            share = count / len(members)
            if share >= MAJORITY:
                base = sum(e[task] == stance for e in everyone) / len(everyone)
                result.append(DefiningTask(task, count, len(members), share, base))
        result.sort(key=lambda d: (-d.share, d.task))
        return result[:1]
    result.sort(key=lambda d: (-round(d.lift, 9), -d.share, d.task))
    return result[:limit]


def persona_name(hated: Sequence[str], kept: Sequence[str]) -> str:
    """A name from the defining tasks: what they want off their plate, what they keep."""
    if hated and kept:
        return f"Hand off {_and(hated)}, keep {_and(kept)}"
    if hated:
        return f"Hand off {_and(hated)}"
    if kept:
        return f"Keep {_and(kept)}"
    return "Content with the current mix"


def _and(labels: Sequence[str]) -> str:
    items = [_lower_first(label) for label in labels]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(label: str) -> str:
    """'Ticket triage' -> 'ticket triage', but 'CRM updates' stays as it is."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def defining_counted(
    persona: dict[str, tuple[int, int]],
    everyone: dict[str, tuple[int, int]],
    limit: int = 2,
) -> list[DefiningTask]:
    """`defining_tasks` over released counts: per task, (how many take the stance, answers)
    in the persona and in its whole function. Same rules: a majority of the persona, at
    least LIFT_FLOOR above the function, largest lift first; else its strongest majority."""
    found = []
    for task, (count, n) in persona.items():
        if task not in everyone or n == 0:
            continue
        base_count, base_n = everyone[task]
        found.append(DefiningTask(task, count, n, count / n, base_count / base_n))
    lifted = [d for d in found if d.share >= MAJORITY and d.lift >= LIFT_FLOOR]
    if lifted:
        lifted.sort(key=lambda d: (-round(d.lift, 9), -d.share, d.task))
        return lifted[:limit]
    majority = sorted((d for d in found if d.share >= MAJORITY), key=lambda d: (-d.share, d.task))
    return majority[:1]
