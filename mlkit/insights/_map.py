"""An embedding map of a text dataset: a 2-D projection of the rows, with clusters.

:func:`embedding_map` represents every row in at most 50 dimensions (TF-IDF
reduced by truncated SVD, or sentence embeddings given by the user), clusters
the rows there (k-means), and projects a capped sample of them to 2-D for
drawing. Each cluster gets its top terms, size, label mix and error rate. The
audit's HTML report draws the map; :meth:`EmbeddingMap.points` and
:meth:`EmbeddingMap.clusters` hold it as tables.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._labels import check_label_matrix
from .._optional import import_optional
from .._text import check_texts
from ._rules import LIKELY

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["EmbeddingMap", "embedding_map", "project"]

#: the projections :func:`embedding_map` knows
METHODS = ("tsne", "pca", "svd")
#: dimensions of the representation that is clustered and projected
N_DIMS = 50
#: rows above which clustering uses MiniBatchKMeans instead of KMeans
_MINIBATCH_ROWS = 20_000
#: top terms listed per cluster
_N_TERMS = 8
#: labels listed in a cluster's label mix
_N_MIX = 3
#: a word: two or more letters (no digits, no underscores), with its contraction ("don't")
_TOKEN = r"(?u)\b(?:[^\W\d_]+'[^\W\d_]+|[^\W\d_]{2,})\b"
#: contractions that carry no topic, removed with scikit-learn's English stop words
_CONTRACTIONS = ("aren't can't couldn't didn't doesn't don't hadn't hasn't haven't he'd he's "
                 "i'd i'll i'm i've isn't it'd it'll it's let's she's shouldn't that's "
                 "there's they'd they'll they're they've wasn't we'd we'll we're we've "
                 "weren't what's who's won't wouldn't you'd you'll you're you've").split()


def _default_k(n):
    """The stated rule for the number of clusters: sqrt(n / 20), between 2 and 30."""
    return int(np.clip(round(np.sqrt(n / 20)), 2, 30))


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
    return int(value)


def _tfidf(texts):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    texts = [t.replace("\u2019", "'") for t in texts]
    stop = sorted(ENGLISH_STOP_WORDS.union(_CONTRACTIONS))
    for min_df in (2, 1):
        vec = TfidfVectorizer(sublinear_tf=True, min_df=min_df, max_df=0.5, stop_words=stop,
                              token_pattern=_TOKEN, max_features=50_000, dtype=np.float32)
        try:
            X = vec.fit_transform(texts)
        except ValueError:  # empty vocabulary
            continue
        if X.shape[1] >= 2:
            return X, vec.get_feature_names_out()
    raise ValueError("The texts hold fewer than 2 distinct words (of 2 or more letters) after "
                     "removing English stop words, so they cannot be mapped; pass "
                     "embeddings= (one vector per row) instead.")


def _normalise(Z):
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(norms > 0, norms, 1.0)


def _reduce(X, random_state):
    """(n, <= N_DIMS) representation of X (sparse TF-IDF or dense embeddings), unnormalised."""
    from sklearn.decomposition import PCA, TruncatedSVD

    n, d = X.shape
    k = min(N_DIMS, d - 1, n - 1)
    if sp.issparse(X):
        if k < 2:
            return np.asarray(X.toarray(), dtype=np.float64)
        return TruncatedSVD(k, algorithm="randomized", n_iter=5,
                            random_state=random_state).fit_transform(X).astype(np.float64)
    if d <= N_DIMS or k < 2:
        return np.asarray(X, dtype=np.float64)
    return PCA(k, svd_solver="randomized", random_state=random_state).fit_transform(X)


def _encode(texts, encoder):
    encode = getattr(encoder, "encode", None)
    if encode is None and not callable(encoder):
        raise TypeError(f"encoder must have an encode(texts) method (a sentence-transformers "
                        f"model) or be a callable texts -> array; got {type(encoder).__name__}.")
    return np.asarray((encode or encoder)(list(texts)), dtype=np.float64)


def _embeddings(texts, embeddings, encoder):
    if embeddings is not None and encoder is not None:
        raise ValueError("Pass embeddings= or encoder=, not both.")
    if encoder is not None:
        embeddings = _encode(texts, encoder)
    if embeddings is None:
        return None
    E = np.asarray(embeddings, dtype=np.float64)
    if E.ndim != 2 or E.shape[0] != len(texts):
        raise ValueError(f"embeddings must have shape (n_texts, n_dims) = ({len(texts)}, d); "
                         f"got {E.shape}.")
    if not np.isfinite(E).all():
        raise ValueError("embeddings hold NaN or infinite values; remove or re-encode those "
                         "rows.")
    return E


def _sample(n, scores, max_points, rng):
    """Rows drawn on the map: every row with score >= LIKELY (the highest first when they
    alone exceed the cap), the rest a uniform random sample; sorted."""
    if n <= max_points:
        return np.arange(n)
    if scores is None:
        return np.sort(rng.choice(n, max_points, replace=False))
    errors = np.flatnonzero(scores >= LIKELY)
    if len(errors) >= max_points:
        top = np.argsort(-scores, kind="stable")[:max_points]
        return np.sort(top)
    rest = np.setdiff1d(np.arange(n), errors)
    picked = rng.choice(rest, max_points - len(errors), replace=False)
    return np.sort(np.concatenate([errors, picked]))


def project(Z, method="tsne", *, random_state=0):
    """Project rows of a reduced representation to 2-D.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        The reduced representation (e.g. truncated SVD of TF-IDF), not
        normalised; rows are L2-normalised for ``"tsne"`` and ``"pca"``.
    method : {"tsne", "pca", "svd"}, default="tsne"
        ``"svd"``: the first two columns of ``Z``; ``"pca"``: principal
        components of the normalised rows; ``"tsne"``: t-SNE (PCA init,
        perplexity 30 or less for small n) of the normalised rows.
    random_state : int, default=0

    Returns
    -------
    xy : ndarray of shape (n, 2)
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got "
                         f"{method!r}.")
    n = Z.shape[0]
    if n < 3 or Z.shape[1] < 2:
        xy = np.zeros((n, 2))
        xy[:, : min(2, Z.shape[1])] = Z[:, :2]
        return xy
    if method == "svd":
        return np.array(Z[:, :2], dtype=np.float64)
    U = _normalise(Z)
    if method == "pca":
        return PCA(2, random_state=random_state).fit_transform(U)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3.5)))
    return TSNE(2, init="pca", perplexity=perplexity, learning_rate="auto", max_iter=500,
                random_state=random_state).fit_transform(U)


def _clusters(U, n_clusters, random_state):
    from sklearn.cluster import KMeans, MiniBatchKMeans

    n = U.shape[0]
    k = _default_k(n) if n_clusters == "auto" else min(n_clusters, n)
    if k < 2:
        return np.zeros(n, dtype=np.int64)
    if n > _MINIBATCH_ROWS:
        km = MiniBatchKMeans(k, batch_size=4096, n_init=3, random_state=random_state)
    else:
        km = KMeans(k, n_init=3, random_state=random_state)
    labels = km.fit_predict(U)
    # number clusters by size, largest first
    sizes = np.bincount(labels, minlength=k)
    rank = np.empty(k, dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(k)
    return rank[labels]


def _top_terms(X, terms, cluster, k):
    """The terms whose mean TF-IDF in the cluster most exceeds their mean elsewhere."""
    n = X.shape[0]
    C = sp.csr_matrix((np.ones(n), (cluster, np.arange(n))), shape=(k, n))
    sizes = np.asarray(C.sum(axis=1)).ravel()
    inside = np.asarray((C @ X).todense())
    total = inside.sum(axis=0)
    outside = (total[None, :] - inside) / np.maximum(n - sizes, 1)[:, None]
    lift = inside / np.maximum(sizes, 1)[:, None] - outside
    out = []
    for c in range(k):
        best = np.argsort(-lift[c], kind="stable")[:_N_TERMS]
        out.append(", ".join(str(terms[t]) for t in best if lift[c, t] > 0))
    return out


def _row_kinds(issue_scores, Y):
    S = np.asarray(issue_scores, dtype=np.float64)
    if Y is None or S.shape != Y.shape:
        raise ValueError(f"issue_scores must have the shape of Y, {None if Y is None else Y.shape}"
                         f"; got {S.shape}.")
    likely = S >= LIKELY
    missing = (likely & (Y == 0)).any(axis=1)
    wrong = (likely & (Y == 1)).any(axis=1)
    kinds = np.full(len(S), "none", dtype=object)
    kinds[missing] = "missing"
    kinds[wrong] = "wrong"
    kinds[missing & wrong] = "missing+wrong"
    return kinds


def _check_scores(scores, n):
    if scores is None:
        return None
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.shape != (n,):
        raise ValueError(f"scores must have one value per text ({n}); got shape "
                         f"{np.shape(scores)}.")
    if not np.isfinite(s).all():
        raise ValueError("scores hold NaN or infinite values.")
    return s


def embedding_map(
    texts: Sequence[str] | ArrayLike,
    Y: Any = None,
    *,
    label_names: Sequence[str] | None = None,
    scores: ArrayLike | None = None,
    issue_scores: ArrayLike | None = None,
    embeddings: ArrayLike | None = None,
    encoder: Any = None,
    method: str = "tsne",
    max_points: int = 5000,
    n_clusters: int | str = "auto",
    random_state: int | None = 0,
) -> EmbeddingMap:
    """A 2-D map of the rows with clusters, their top terms, label mix and error rate.

    Every row is represented in at most 50 dimensions: the truncated SVD of
    its TF-IDF vector (sublinear term frequency, English stop words removed),
    or the PCA of the sentence embeddings you give. The rows are clustered
    there with k-means (all rows; MiniBatchKMeans above 20,000 rows), and a
    sample of at most ``max_points`` rows is projected to 2-D for drawing:
    every row with a data error score of at least 0.5 is kept, the rest is a
    uniform random sample.

    Parameters
    ----------
    texts : list, tuple, ndarray or Series of str
    Y : array-like, sparse matrix, DataFrame or list of label collections, default=None
        The given labels (for the label mix and the colouring).
    label_names : sequence of str, default=None
    scores : array-like of shape (n_texts,), default=None
        A per-row score in [0, 1], e.g. :attr:`LabelAudit.data_error_scores`;
        a cluster's error rate is its share of rows with a score of at
        least 0.5.
    issue_scores : array-like of shape (n_texts, n_labels), default=None
        Per-cell probabilities that the given label is wrong (the audit's
        ``issue_scores``); they give each row's issue kind (``"missing"``,
        ``"wrong"``, ``"missing+wrong"`` or ``"none"``).
    embeddings : array-like of shape (n_texts, n_dims), default=None
        Precomputed embeddings to map instead of TF-IDF (top terms still come
        from the TF-IDF of the texts).
    encoder : object with ``encode(texts)``, or callable, default=None
        Computes the embeddings, e.g. a sentence-transformers model.
    method : {"tsne", "pca", "svd"}, default="tsne"
        The 2-D projection (see ``docs/reports.md`` for how they compare).
    max_points : int, default=5000
        Rows drawn on the map at most.
    n_clusters : int or "auto", default="auto"
        ``"auto"``: round(sqrt(n_texts / 20)), between 2 and 30.
    random_state : int or None, default=0

    Returns
    -------
    map : EmbeddingMap

    Examples
    --------
    >>> from mlkit.datasets import load_goemotions
    >>> from mlkit.insights import embedding_map
    >>> train = load_goemotions("train")
    >>> m = embedding_map(train.data[:500], train.target[:500], method="pca")
    >>> m.clusters.columns.tolist()[:4]
    ['cluster', 'size', 'share', 'top_terms']
    """
    t0 = time.perf_counter()
    texts = check_texts(texts)
    n = len(texts)
    if n < 2:
        raise ValueError(f"embedding_map needs at least 2 texts; got {n}.")
    max_points = _check_int(max_points, "max_points", 2)
    if not (n_clusters == "auto" or not isinstance(n_clusters, bool)
            and isinstance(n_clusters, (int, np.integer)) and n_clusters >= 1):
        raise ValueError(f"n_clusters must be 'auto' or an int >= 1; got {n_clusters!r}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got "
                         f"{method!r}.")
    names = None
    if Y is not None:
        Y, names = check_label_matrix(Y, label_names=label_names, accept_sparse=False,
                                      n_samples=n)
        if names is None:
            names = [str(j) for j in range(Y.shape[1])]
        names = [str(x) for x in names]
    scores = _check_scores(scores, n)
    kinds = None if issue_scores is None else _row_kinds(issue_scores, Y)
    E = _embeddings(texts, embeddings, encoder)
    X, terms = _tfidf(texts)
    Z = _reduce(X if E is None else E, random_state)
    cluster = _clusters(_normalise(Z), n_clusters, random_state)
    rows = _sample(n, scores, max_points, np.random.default_rng(random_state))
    xy = project(Z[rows], method, random_state=random_state)
    return EmbeddingMap(texts=texts, Y=Y, label_names=names, scores=scores, kinds=kinds,
                        cluster=cluster, rows=rows, xy=xy,
                        top_terms=_top_terms(X, terms, cluster, int(cluster.max()) + 1),
                        method=method, source="tfidf" if E is None else "embeddings",
                        seconds=time.perf_counter() - t0)


class EmbeddingMap:
    """The result of :func:`embedding_map`.

    Attributes
    ----------
    n_rows : int
        Rows mapped (all rows are clustered; ``len(points)`` are drawn).
    label_names : list of str or None
        The label names (None when no labels were given).
    method : str
        The 2-D projection used.
    source : {"tfidf", "embeddings"}
        What the rows were represented by.
    cluster_of_row : ndarray of shape (n_rows,)
        The cluster of every row (clusters are numbered by size, largest 0).
    seconds : float
        Wall time of the map.
    """

    def __init__(self, *, texts: Sequence[str], Y: np.ndarray | None, label_names: list[str],
                 scores: np.ndarray | None, kinds: np.ndarray | None, cluster: np.ndarray,
                 rows: np.ndarray, xy: np.ndarray, top_terms: list[list[str]], method: str,
                 source: str, seconds: float) -> None:
        self._texts = texts
        self._Y = Y
        self.label_names = label_names
        self._scores = scores
        self._kinds = kinds
        self.cluster_of_row = cluster
        self._rows = rows
        self._xy = xy
        self._top_terms = top_terms
        self.method = method
        self.source = source
        self.seconds = seconds
        self.n_rows = len(texts)

    def _row_label_names(self, rows):
        if self._Y is None:
            return [() for _ in rows]
        return [tuple(self.label_names[j] for j in np.flatnonzero(self._Y[i])) for i in rows]

    @property
    def points(self) -> pd.DataFrame:
        """The rows drawn: ``row`` (0-based position in the input), ``x``, ``y``,
        ``cluster``, ``labels`` (tuple of names), ``score`` and ``kind`` (when given),
        ``text``.

        Returns
        -------
        table : pandas.DataFrame
        """
        pd = import_optional("pandas", purpose="EmbeddingMap.points")
        rows = self._rows
        frame = pd.DataFrame({"row": rows.astype(np.int64), "x": self._xy[:, 0],
                              "y": self._xy[:, 1], "cluster": self.cluster_of_row[rows],
                              "labels": self._row_label_names(rows)})
        if self._scores is not None:
            frame["score"] = self._scores[rows]
        if self._kinds is not None:
            frame["kind"] = self._kinds[rows]
        frame["text"] = [self._texts[i] for i in rows]
        return frame

    @property
    def clusters(self) -> pd.DataFrame:
        """One row per cluster, largest first: ``cluster``, ``size``, ``share``,
        ``top_terms`` (the words whose mean TF-IDF most exceeds their mean in the other
        rows), ``label_mix`` (the most frequent labels with their share of the cluster's
        rows), ``error_rate`` (share of rows with score >= 0.5) and ``mean_score`` (when
        scores were given).

        Returns
        -------
        table : pandas.DataFrame
        """
        pd = import_optional("pandas", purpose="EmbeddingMap.clusters")
        k = len(self._top_terms)
        sizes = np.bincount(self.cluster_of_row, minlength=k)
        frame = pd.DataFrame({"cluster": np.arange(k), "size": sizes,
                              "share": sizes / self.n_rows, "top_terms": self._top_terms})
        if self._Y is not None:
            frame["label_mix"] = [self._label_mix(c, sizes[c]) for c in range(k)]
        if self._scores is not None:
            likely = self._scores >= LIKELY
            frame["error_rate"] = [likely[self.cluster_of_row == c].mean() for c in range(k)]
            frame["mean_score"] = [self._scores[self.cluster_of_row == c].mean()
                                   for c in range(k)]
        return frame

    def _label_mix(self, c, size):
        counts = self._Y[self.cluster_of_row == c].sum(axis=0)
        best = np.argsort(-counts, kind="stable")[:_N_MIX]
        return ", ".join(f"{self.label_names[j]} {counts[j] / size:.0%}" for j in best
                         if counts[j] > 0) or "(no labels)"

    def __repr__(self):
        return (f"<EmbeddingMap: {self.n_rows} rows ({len(self._rows)} drawn), "
                f"{len(self._top_terms)} clusters, {self.method} of {self.source}>")
