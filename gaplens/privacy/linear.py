"""Which owners' unknowns a set of released linear figures determines.

Each released figure is a row over real-valued unknowns (for the staggered estimate: person
x month values); every unknown belongs to one owner (a person). An owner is *disclosed* when
some nonzero combination of their own unknowns alone (their value in a month, their change
between two months...) lies in the row space: then some combination of released figures
equals it, whatever everyone else's values are. Test: with Q an orthonormal basis of the
row space (one column per dimension, one row per unknown), owner i is disclosed iff the
largest singular value of Q restricted to i's unknowns is 1: a unit vector of the row space
lies wholly within i's coordinates.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import linalg, sparse

DEFAULT_TOLERANCE = 1e-6
# Below this many matrix entries the row space comes from a dense SVD (accurate); above
# it from the Gram matrix of the rows, which is small (rows x rows), in blocks of unknowns.
_DENSE_LIMIT = 20_000_000
_BLOCK = 20_000


def _basis_dense(matrix: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    _, s, vt = linalg.svd(matrix.toarray(), full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return np.zeros((matrix.shape[1], 0))
    rank = int((s > s[0] * max(matrix.shape) * np.finfo(float).eps).sum())
    basis: npt.NDArray[np.float64] = vt[:rank].T
    return basis


def disclosed_owners(
    rows: sparse.spmatrix | npt.NDArray[np.float64],
    owner: npt.ArrayLike,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[int]:
    """The owners (values of `owner`, one per column) some combination of whose own
    unknowns lies in the row space of `rows` (figures x unknowns)."""
    matrix = sparse.csr_matrix(rows, dtype=np.float64)
    owners = np.asarray(owner)
    if owners.shape != (matrix.shape[1],):
        raise ValueError("one owner per unknown (column)")
    used = np.flatnonzero(np.asarray(abs(matrix).sum(axis=0)).ravel() > 0)
    if used.size == 0 or matrix.shape[0] == 0:
        return []
    matrix = sparse.csr_matrix(matrix[:, used])
    owners = owners[used]
    order = np.argsort(owners, kind="stable")
    owners_sorted = owners[order]
    starts = np.flatnonzero(np.r_[True, owners_sorted[1:] != owners_sorted[:-1]])
    ends = np.r_[starts[1:], owners_sorted.size]
    found: list[int] = []

    def check(q_rows: npt.NDArray[np.float64], first: int, last: int) -> None:
        # q_rows: basis rows of the unknowns order[first:last] (whole owners only)
        for a, b in zip(
            starts[(starts >= first) & (starts < last)],
            ends[(starts >= first) & (starts < last)],
            strict=True,
        ):
            block = q_rows[a - first : b - first]
            if block.size and np.linalg.norm(block, 2) > 1.0 - tolerance:
                found.append(owners_sorted[a].item())

    if matrix.shape[0] * matrix.shape[1] <= _DENSE_LIMIT:
        basis = _basis_dense(matrix)
        check(basis[order], 0, owners_sorted.size)
        return found
    gram = (matrix @ matrix.T).toarray()
    eigenvalues, vectors = linalg.eigh(gram)
    keep = eigenvalues > eigenvalues.max(initial=0.0) * 1e-12
    weights = vectors[:, keep] / np.sqrt(eigenvalues[keep])
    columns = sparse.csc_matrix(matrix)[:, order]
    first = 0
    while first < owners_sorted.size:
        last = int(
            ends[np.searchsorted(starts, min(first + _BLOCK, owners_sorted.size), "right") - 1]
        )
        if last <= first:
            last = owners_sorted.size
        q_rows = np.asarray(columns[:, first:last].T @ weights)
        check(q_rows, first, last)
        first = last
    return found
