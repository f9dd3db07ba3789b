"""An auditor that attacks a set of released figures, to prove what they give away.

The threshold rules (groups of at least k, pairwise differencing) are cheap local checks; an
attacker is not bound by them and may combine every figure ever released about a population
(across releases and viewers) by any arithmetic. This module plays that attacker, exactly,
so it can serve as the test oracle for the release builder and back `gaplens privacy audit`:

- linear disclosures: a respondent is *isolated* when their unit vector lies in the row space
  of the released member sets (then any additive figure about them alone is derivable), and a
  *small group* (an atom of 1 to k-1 respondents) is derivable when its indicator does;
- value disclosures: a respondent's answer is *determined* when every assignment of 0/1
  answers consistent with the released histograms gives them the same answer.

It assumes the attacker knows every released member set (who is in each figure), which is
the strongest reading of "anonymous" figures. Pure: no database, no I/O.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

Answer = int | frozenset[int]

# Ranks are computed over GF(p) for two primes below 2**31, so every product of two residues
# fits in int64 and numpy does the arithmetic. rank over GF(p) never exceeds the rational rank
# and is smaller only when p divides every nonzero maximal minor, which happens for finitely
# many primes; we take the prime(s) reaching the larger rank. A large prime also matters:
# over GF(2), (A∪B) + (A∪C) - (B∪C) = 2A would vanish.
_PRIMES = (2_147_483_647, 2_147_483_629)

DEFAULT_MILP_LIMIT = 2_000


@dataclass(frozen=True)
class ReleasedCount:
    """ "n respondents in this cell": a count over a set, so a row of the attacker's matrix."""

    members: frozenset[str]


@dataclass(frozen=True)
class ReleasedHistogram:
    """Per-question answer counts over the respondents who answered (`members`).

    `counts[i]` is how many members chose value i; with `multi`, a member may choose several.
    """

    question: str
    members: frozenset[str]
    counts: tuple[int, ...]
    multi: bool = False


class AuditTooLargeError(ValueError):
    """The exact value check would need more integer programs than allowed."""


@dataclass(frozen=True)
class AuditFindings:
    """What an attacker holding every released figure can derive.

    `small_groups` lists every derivable atom of 1 to k-1 respondents, so it includes the
    isolated respondents as groups of one; `determined` maps a question to the respondents
    whose answer to it is determined (questions with none are left out). `rows` and `atoms`
    give the size of the linear check: distinct released member sets, and classes of
    respondents that appear in exactly the same sets.
    """

    isolated: frozenset[str]
    small_groups: tuple[frozenset[str], ...]
    determined: Mapping[str, frozenset[str]]
    rows: int
    atoms: int
    k: int

    @property
    def ok(self) -> bool:
        """Nothing derivable: no isolated respondent, small group or determined answer."""
        return not self.isolated and not self.small_groups and not self.determined

    def describe(self, *, limit: int = 10) -> str:
        """A short report naming response ids (anonymous) but never an answer."""

        def ids(group: Iterable[str]) -> str:
            ordered = sorted(group)
            shown = ", ".join(ordered[:limit])
            return shown + (f" (+{len(ordered) - limit} more)" if len(ordered) > limit else "")

        head = f"{self.rows} released member sets, {self.atoms} atoms"
        if self.ok:
            return f"No disclosure found ({head})."
        lines = [f"Disclosures found ({head}):"]
        if self.isolated:
            lines.append(
                f"- {len(self.isolated)} respondent(s) isolated (any additive figure about "
                f"them alone is derivable): {ids(self.isolated)}"
            )
        groups = [g for g in self.small_groups if len(g) > 1]
        if groups:
            lines.append(f"- {len(groups)} group(s) smaller than {self.k} derivable:")
            lines.extend(f"  - {len(g)} respondents: {ids(g)}" for g in groups[:limit])
            if len(groups) > limit:
                lines.append(f"  - (+{len(groups) - limit} more groups)")
        for question, who in sorted(self.determined.items()):
            lines.append(f"- answer to {question!r} determined for {len(who)}: {ids(who)}")
        return "\n".join(lines)


def audit(
    counts: Iterable[ReleasedCount],
    histograms: Iterable[ReleasedHistogram],
    answers: Mapping[str, Mapping[str, Answer]],
    *,
    k: int = 5,
    milp_limit: int = DEFAULT_MILP_LIMIT,
) -> AuditFindings:
    """Attack everything released about one population and report what is derivable.

    `answers` is the truth (respondent -> question -> value index, or a frozenset of indices
    for multi-choice). It is only used to check that the released figures are consistent
    (ValueError if not) and to skip value checks the truth already refutes. Raises
    AuditTooLargeError when more than `milp_limit` integer programs would be needed.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    counts = tuple(counts)
    histograms = tuple(histograms)
    _check_consistent(counts, histograms, answers)

    figures: tuple[ReleasedCount | ReleasedHistogram, ...] = (*counts, *histograms)
    rows = list(dict.fromkeys(f.members for f in figures if f.members))
    atoms, matrix = _atoms(rows)
    derivable = _derivable_columns(matrix)
    isolated = frozenset(next(iter(atoms[j])) for j in derivable if len(atoms[j]) == 1)
    small = sorted(
        (atoms[j] for j in derivable if len(atoms[j]) < k), key=lambda g: (len(g), sorted(g))
    )

    problems = [
        _ValueProblem(question, [h for h in histograms if h.question == question], answers)
        for question in sorted({h.question for h in histograms})
    ]
    needed = sum(p.candidate_count for p in problems)
    if needed > milp_limit:
        raise AuditTooLargeError(
            f"the value check needs {needed} integer programs (over "
            f"{sum(len(p.atoms) for p in problems)} atoms in {len(problems)} questions), "
            f"more than milp_limit={milp_limit}; audit a smaller population or raise the limit"
        )
    determined = {p.question: who for p in problems if (who := p.determined())}
    return AuditFindings(
        isolated=isolated,
        small_groups=tuple(small),
        determined=types.MappingProxyType(determined),
        rows=len(rows),
        atoms=len(atoms),
        k=k,
    )


def _check_consistent(
    counts: Sequence[ReleasedCount],
    histograms: Sequence[ReleasedHistogram],
    answers: Mapping[str, Mapping[str, Answer]],
) -> None:
    """Raise ValueError unless the truth reproduces every released figure exactly.

    A mismatch (wrong ids, stale answers) would make the oracle audit a different system from
    the one released, so it is an error rather than a finding.
    """
    figures: tuple[ReleasedCount | ReleasedHistogram, ...] = (*counts, *histograms)
    for figure in figures:
        unknown = figure.members - answers.keys()
        if unknown:
            raise ValueError(f"{len(unknown)} released member(s) are not in the answers")
    shapes: dict[str, tuple[int, bool]] = {}
    for h in histograms:
        shape = (len(h.counts), h.multi)
        if shapes.setdefault(h.question, shape) != shape:
            raise ValueError(f"histograms of {h.question!r} disagree on values or multi-choice")
        if any(c < 0 for c in h.counts):
            raise ValueError(f"a histogram of {h.question!r} has a negative count")
        truth = [0] * len(h.counts)
        for r in h.members:
            for v in _chosen(answers[r].get(h.question), h, r):
                truth[v] += 1
        if tuple(truth) != h.counts:
            raise ValueError(
                f"a histogram of {h.question!r} over {len(h.members)} respondents does not "
                "match their answers"
            )


def _chosen(answer: Answer | None, h: ReleasedHistogram, respondent: str) -> frozenset[int]:
    """The values a member's answer counts towards, checked against the histogram's shape."""
    if answer is None:
        raise ValueError(f"{respondent} is counted in {h.question!r} but has no answer to it")
    if h.multi != isinstance(answer, frozenset):
        raise ValueError(f"{respondent}'s answer to {h.question!r} has the wrong kind")
    chosen = answer if isinstance(answer, frozenset) else frozenset({answer})
    if any(not 0 <= v < len(h.counts) for v in chosen):
        raise ValueError(f"{respondent}'s answer to {h.question!r} is out of range")
    return chosen


def _atoms(
    rows: Sequence[frozenset[str]],
) -> tuple[list[frozenset[str]], npt.NDArray[np.int64]]:
    """Group respondents by the set of rows they are in, and the rows × atoms 0/1 matrix.

    Respondents of one atom are interchangeable in every row, so no vector in the row space
    can tell them apart: the attacker's problem shrinks to one column per atom.
    """
    people = sorted(set().union(*rows)) if rows else []
    index = {r: i for i, r in enumerate(people)}
    incidence = np.zeros((len(rows), len(people)), dtype=np.bool_)
    for i, row in enumerate(rows):
        incidence[i, np.fromiter((index[r] for r in row), dtype=np.intp, count=len(row))] = True
    if not people:
        return [], np.zeros((len(rows), 0), dtype=np.int64)
    packed = np.ascontiguousarray(np.packbits(incidence, axis=0).T)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    members: list[list[str]] = [[] for _ in first]
    for person, atom in zip(people, inverse.ravel(), strict=True):
        members[atom].append(person)
    return [frozenset(m) for m in members], incidence[:, first].astype(np.int64)


def _derivable_columns(matrix: npt.NDArray[np.int64]) -> list[int]:
    """Columns j with e_j in the row space, i.e. rank(M) - rank(M without column j) == 1.

    One Gauss-Jordan reduction gives them all: in the reduced form, e_j is in the row space
    exactly when j is a pivot column whose row has no other nonzero entry. Done for each
    prime; the primes reaching the highest rank have the rational rank, and for them a true
    answer is never missed, so their results are intersected.
    """
    results = [_reduce(matrix, p) for p in _PRIMES]
    top = max(rank for rank, _ in results)
    found = set.intersection(*(cols for rank, cols in results if rank == top))
    return sorted(found)


def _reduce(matrix: npt.NDArray[np.int64], p: int) -> tuple[int, set[int]]:
    """Rank over GF(p) and the columns whose unit vector is in the row space over GF(p).

    Sparse-aware Gauss-Jordan: each pivot only touches the rows holding its column and the
    columns where the pivot row is nonzero, and the sparsest candidate row is the pivot, so
    nested team structures (mostly disjoint or nested sets) reduce with little fill-in.
    """
    work = matrix % p
    n_rows, n_cols = work.shape
    free = np.ones(n_rows, dtype=np.bool_)
    nonzeros = np.count_nonzero(work, axis=1)
    pivot_row: dict[int, int] = {}
    for c in range(n_cols):
        holders = np.flatnonzero(work[:, c])
        candidates = holders[free[holders]]
        if candidates.size == 0:
            continue
        pivot = int(candidates[np.argmin(nonzeros[candidates])])
        free[pivot] = False
        pivot_row[c] = pivot
        row = work[pivot]
        inverse = pow(int(row[c]), -1, p)
        if inverse != 1:
            row[:] = (row * inverse) % p
        others = holders[holders != pivot]
        if others.size == 0:
            continue
        cols = np.flatnonzero(row)
        factors = work[others, c][:, None]
        block = np.ix_(others, cols)
        before = np.count_nonzero(work[block], axis=1)
        updated = (work[block] - (factors * row[cols][None, :]) % p) % p
        work[block] = updated
        nonzeros[others] += np.count_nonzero(updated, axis=1) - before
    derivable = {c for c, r in pivot_row.items() if np.count_nonzero(work[r]) == 1}
    return len(pivot_row), derivable


class _ValueProblem:
    """The attacker's integer program for one question.

    Variables x[a, v]: how many respondents of atom a chose value v, 0 <= x <= |a|, with
    sum_v x[a, v] = |a| for single-choice; each released histogram adds sum over its atoms of
    x[a, v] = counts[v]. Atoms here are taken over this question's histograms only: the count
    rows and other questions' figures put no constraint on these answers, so refining atoms
    by them would leave every respondent's verdict unchanged and only multiply the programs.
    A member's answer is determined when x[a, :] equals the truth in every feasible solution.
    """

    def __init__(
        self,
        question: str,
        histograms: Sequence[ReleasedHistogram],
        answers: Mapping[str, Mapping[str, Answer]],
    ) -> None:
        self.question = question
        self.multi = histograms[0].multi
        values = len(histograms[0].counts)
        released = {h.members: h.counts for h in histograms if h.members}
        sets = list(released)
        self.atoms, incidence = _atoms(sets)
        self.sizes = np.array([len(a) for a in self.atoms], dtype=np.float64)
        n_atoms = len(self.atoms)
        self.truth = np.zeros((n_atoms, values), dtype=np.float64)
        for a, atom in enumerate(self.atoms):
            for r in atom:
                answer = answers[r][question]
                chosen = answer if isinstance(answer, frozenset) else frozenset({answer})
                for v in chosen:
                    self.truth[a, v] += 1
        unanimous = (self.truth == 0) | (self.truth == self.sizes[:, None])
        if self.multi:
            self.candidates = [a for a in range(n_atoms) if unanimous[a].all()]
            self.candidate_count = len(self.candidates) * values
        else:
            self.candidates = [a for a in range(n_atoms) if (self.truth[a] == self.sizes[a]).any()]
            self.candidate_count = len(self.candidates)

        # Equality rows: one per (released set, value), plus one per atom for single-choice.
        n_vars = n_atoms * values
        row_ids: list[int] = []
        col_ids: list[int] = []
        rhs: list[float] = []
        for i, members in enumerate(sets):
            inside = np.flatnonzero(incidence[i])
            for v in range(values):
                row_ids.extend([len(rhs)] * inside.size)
                col_ids.extend((inside * values + v).tolist())
                rhs.append(float(released[members][v]))
        if not self.multi:
            for a in range(n_atoms):
                row_ids.extend([len(rhs)] * values)
                col_ids.extend(range(a * values, (a + 1) * values))
                rhs.append(float(self.sizes[a]))
        matrix = csr_array((np.ones(len(row_ids)), (row_ids, col_ids)), shape=(len(rhs), n_vars))
        self.constraint = LinearConstraint(matrix, rhs, rhs)
        self.values = values

    def determined(self) -> frozenset[str]:
        """Respondents whose answer every feasible solution fixes; one program per candidate.

        Each feasible solution found is a witness: every candidate atom it does not leave at
        the truth is cleared without a program of its own.
        """
        upper = np.repeat(self.sizes, self.values)
        open_atoms = set(self.candidates)
        found: set[str] = set()
        for a in self.candidates:
            if a not in open_atoms:
                continue
            open_atoms.discard(a)
            span = slice(a * self.values, (a + 1) * self.values)
            forced = True
            for lower_a, upper_a in self._escapes(a):
                lower, bound = np.zeros_like(upper), upper.copy()
                lower[span], bound[span] = lower_a, upper_a
                witness = self._solve(lower, bound)
                if witness is None:
                    continue
                forced = False
                off_truth = np.abs(witness - self.truth).max(axis=1) > 0.5
                open_atoms -= set(np.flatnonzero(off_truth).tolist())
                break
            if forced:
                found |= self.atoms[a]
        return frozenset(found)

    def _escapes(self, a: int) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]:
        """Bounds on x[a, :] under which atom a leaves its true answer; each is one program.

        Single-choice: fewer than |a| on the unanimous value. Multi-choice: for each value,
        at least one chooser where the truth has none, or a non-chooser where all chose it.
        """
        size = self.sizes[a]
        truth = self.truth[a]
        full = np.full(self.values, size)
        none = np.zeros(self.values)
        if not self.multi:
            upper = full.copy()
            upper[int(np.argmax(truth == size))] = size - 1
            return [(none, upper)]
        tests = []
        for v in range(self.values):
            lower, upper = none.copy(), full.copy()
            if truth[v] == 0:
                lower[v] = 1
            else:
                upper[v] = size - 1
            tests.append((lower, upper))
        return tests

    def _solve(
        self, lower: npt.NDArray[np.float64], upper: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64] | None:
        """A feasible integer solution within the bounds, as atoms × values, or None."""
        n_vars = lower.size
        result = milp(
            c=np.zeros(n_vars),
            integrality=np.ones(n_vars),
            bounds=Bounds(lower, upper),
            constraints=self.constraint,
        )
        if result.status == 2:
            return None
        if result.status != 0 or result.x is None:
            raise RuntimeError(f"integer program for {self.question!r}: {result.message}")
        solution: npt.NDArray[np.float64] = np.round(result.x).reshape(-1, self.values)
        return solution
