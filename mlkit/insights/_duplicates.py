"""Exact and near-duplicate texts.

* **Exact** duplicates share the same *normalized* text: Unicode NFKC,
  lower case, punctuation removed, whitespace collapsed ("Thank you!" and
  "thank you" are the same text). Found with a hash table, O(n).
* **Near** duplicates are distinct normalized texts whose TF-IDF vectors (word
  unigrams and bigrams) have a cosine similarity of at least ``threshold``.
  Candidate pairs come from a sparse product restricted to the terms that
  occur in at most ``max_df`` texts (a term that common cannot make two texts
  near-identical on its own, and dropping it keeps the product sparse:
  the work is at most ``max_df`` times the number of non-zeros, linear in the
  number of texts); each candidate is then checked on the full vectors.
"""

import re
import unicodedata

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

__all__ = ["duplicate_groups", "normalize_text"]

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_text(text):
    """The key under which two texts count as exact duplicates."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def _near_pairs(docs, threshold, max_df, block=2048):
    """Pairs (a, b, cosine) of documents with cosine >= threshold, a < b."""
    if len(docs) < 2:
        return np.empty((0, 3))
    vec = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, lowercase=False,
                          token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, dtype=np.float64)
    try:
        X = vec.fit_transform(docs).tocsr()
    except ValueError:  # no tokens at all
        return np.empty((0, 3))
    df = np.bincount(X.indices, minlength=X.shape[1])
    keep = df <= max_df
    Xp = normalize(X[:, np.flatnonzero(keep)], copy=False).tocsr()
    XpT = Xp.T.tocsr()
    # candidates: a looser cut on the rare-term vectors, then the exact check on the full ones
    loose = max(threshold - 0.2, 0.0)
    found = []
    for start in range(0, Xp.shape[0], block):
        S = (Xp[start:start + block] @ XpT).tocoo()
        a = S.row + start
        m = (S.data >= loose) & (a < S.col)
        if m.any():
            found.append(np.column_stack([a[m], S.col[m]]))
    if not found:
        return np.empty((0, 3))
    pairs = np.vstack(found)
    cos = np.asarray(X[pairs[:, 0]].multiply(X[pairs[:, 1]]).sum(axis=1)).ravel()
    ok = cos >= threshold - 1e-9
    return np.column_stack([pairs[ok], cos[ok]])


def duplicate_groups(texts, *, threshold=0.9, max_df=None):
    """Groups of rows whose texts are exact or near duplicates of each other.

    Parameters
    ----------
    texts : list of str
    threshold : float, default=0.9
        Minimum TF-IDF cosine similarity of near duplicates.
    max_df : int, default=None
        Terms in more texts than this are not used to find candidate pairs;
        None uses ``max(50, n_texts // 200)``.

    Returns
    -------
    group : ndarray of int of shape (n_texts,)
        Group id of each row, -1 for rows with no duplicate.
    kind : list of str
        Per group id: ``"exact"`` (all texts normalize to the same string) or
        ``"near"``.
    similarity : ndarray of float of shape (n_texts,)
        For rows in a group, the highest similarity to another row of the
        group (1.0 for an exact copy); nan elsewhere.
    """
    n = len(texts)
    keys = [normalize_text(t) for t in texts]
    uniq, inverse, counts = np.unique(np.asarray(keys, dtype=object), return_inverse=True,
                                      return_counts=True)
    inverse = inverse.ravel()
    u = len(uniq)
    if max_df is None:
        max_df = max(50, u // 200)
    nonempty = np.flatnonzero([len(k) > 0 for k in uniq])
    pairs = _near_pairs([uniq[i] for i in nonempty], threshold, max_df)
    best = np.where(counts > 1, 1.0, np.nan)  # per unique text
    if len(pairs):
        a = nonempty[pairs[:, 0].astype(np.int64)]
        b = nonempty[pairs[:, 1].astype(np.int64)]
        s = pairs[:, 2]
        # highest similarity to another member (np.fmax ignores nan)
        np.fmax.at(best, a, s)
        np.fmax.at(best, b, s)
        graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(u, u))
        _, comp = connected_components(graph, directed=False)
    else:
        comp = np.arange(u)
    comp_size = np.bincount(comp, weights=counts, minlength=comp.max() + 1 if u else 0)
    n_unique_in_comp = np.bincount(comp, minlength=comp.max() + 1 if u else 0)
    row_comp = comp[inverse] if n else np.empty(0, dtype=np.int64)
    in_group = comp_size[row_comp] > 1 if n else np.empty(0, dtype=bool)
    group = np.full(n, -1, dtype=np.int64)
    kinds = []
    ids = {}
    for i in np.flatnonzero(in_group):
        c = row_comp[i]
        if c not in ids:
            ids[c] = len(ids)
            kinds.append("exact" if n_unique_in_comp[c] == 1 else "near")
        group[i] = ids[c]
    similarity = np.where(group >= 0, best[inverse] if n else np.empty(0), np.nan)
    return group, kinds, similarity
