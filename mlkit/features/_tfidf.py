"""TF-IDF features for multi-label text classification."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .._text import check_texts
from ..base import Interval, RealNotInt, StrOptions, fit_context

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["TfidfFeaturizer"]


class TfidfFeaturizer(TransformerMixin, BaseEstimator):
    """Raw texts to sparse TF-IDF features: word n-grams, optionally character n-grams.

    Two :class:`~sklearn.feature_extraction.text.TfidfVectorizer` blocks, one
    over word n-grams and one over character n-grams inside word boundaries,
    are concatenated and L2-normalized per row. The defaults were chosen by
    measurement on Reuters-21578 and GoEmotions with linear models (see
    ``docs/estimators.md``): sublinear term frequency, word unigrams and
    bigrams seen in at least two documents.

    Parameters
    ----------
    word_ngram_range : tuple (min_n, max_n) or None, default=(1, 2)
        Word n-gram sizes; None disables the word block.
    char_ngram_range : tuple (min_n, max_n), "auto" or None, default="auto"
        Character n-gram sizes (``analyzer="char_wb"``); None disables the
        character block. ``"auto"`` uses ``(2, 5)`` when the mean training
        text is at most ``auto_char_max_length`` characters long and None
        otherwise: on short, noisy texts (GoEmotions) character n-grams add
        about 0.02 macro-F1, while on long documents (Reuters) they multiply
        the number of non-zeros, and so the fit time of linear models, about
        tenfold for little gain. The choice is stored in ``char_ngram_range_``.
    auto_char_max_length : float >= 0, default=400
        Mean text length (characters) up to which ``char_ngram_range="auto"``
        enables character n-grams.
    char_weight : float > 0, default=1.0
        Weight of the character block relative to the word block, applied
        before the final row normalization.
    lowercase : bool, default=True
    strip_accents : {"ascii", "unicode"} or None, default=None
    stop_words : {"english"}, list or None, default=None
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Word tokens; the default keeps one-character tokens ("I", "a", "2").
    min_df : int or float, default=2
        Minimum document frequency of an n-gram (count, or fraction).
    max_df : int or float, default=1.0
        Maximum document frequency (count, or fraction).
    max_features : int or None, default=None
        Keep only the most frequent n-grams of each block.
    char_max_df : int, float or None, default=None
        Maximum document frequency of a character n-gram (count, or fraction
        of the training texts), on top of ``max_df``. The commonest character
        n-grams (pieces of "the", "you", spaces around short words) carry
        little that the word block does not, yet make most of the non-zeros
        of each row, and so most of the fit time of linear models: on
        GoEmotions, the 582 character n-grams found in more than 5 % of the
        texts are 49 % of the character block's non-zeros. A fraction is never
        taken below ``min_df`` (n-grams seen in ``min_df`` texts are always
        kept), and where it would leave no character n-gram at all (a few
        repetitive texts) it is not applied. None applies ``max_df`` alone.
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)``.
    norm : {"l2", "l1"} or None, default="l2"
        Row normalization of the concatenated features.
    dtype : numpy dtype, default=np.float32

    Attributes
    ----------
    word_vectorizer_ : TfidfVectorizer or None
    char_vectorizer_ : TfidfVectorizer or None
    char_ngram_range_ : tuple or None
        The character n-gram range used (resolves ``"auto"``).
    n_features_out_ : int

    Examples
    --------
    >>> from mlkit import TfidfFeaturizer
    >>> texts = ["oil prices rise", "oil exports fall", "wheat prices rise"]
    >>> X = TfidfFeaturizer(min_df=1).fit_transform(texts)
    >>> X.shape, X.dtype
    ((3, 112), dtype('float32'))
    >>> TfidfFeaturizer(min_df=1, char_ngram_range=None).fit_transform(texts).shape
    (3, 11)
    """

    _parameter_constraints = {
        "word_ngram_range": [tuple, None],
        "char_ngram_range": [tuple, StrOptions({"auto"}), None],
        "auto_char_max_length": [Interval(numbers.Real, 0, None, closed="left")],
        "char_weight": [Interval(numbers.Real, 0, None, closed="neither")],
        "lowercase": ["boolean"],
        "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
        "stop_words": [StrOptions({"english"}), list, None],
        "token_pattern": [str],
        # the values TfidfVectorizer takes: a float in [0, 1] is a fraction of the
        # documents, an int >= 1 a count (scikit-learn's RealNotInt tells them apart)
        "min_df": [Interval(RealNotInt, 0, 1, closed="both"),
                   Interval(numbers.Integral, 1, None, closed="left")],
        "max_df": [Interval(RealNotInt, 0, 1, closed="both"),
                   Interval(numbers.Integral, 1, None, closed="left")],
        "max_features": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "char_max_df": [Interval(RealNotInt, 0, 1, closed="both"),
                        Interval(numbers.Integral, 1, None, closed="left"), None],
        "sublinear_tf": ["boolean"],
        "norm": [StrOptions({"l1", "l2"}), None],
        "dtype": "no_validation",  # any numpy float dtype, checked by numpy
    }

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | str | None = "auto",
        auto_char_max_length: float = 400,
        char_weight: float = 1.0,
        lowercase: bool = True,
        strip_accents: str | None = None,
        stop_words: str | Sequence[str] | None = None,
        token_pattern: str = r"(?u)\b\w+\b",
        min_df: int | float = 2,
        max_df: int | float = 1.0,
        max_features: int | None = None,
        char_max_df: int | float | None = None,
        sublinear_tf: bool = True,
        norm: str | None = "l2",
        dtype: DTypeLike = np.float32,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.auto_char_max_length = auto_char_max_length
        self.char_weight = char_weight
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.char_max_df = char_max_df
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.dtype = dtype

    def _resolve_char_range(self, texts):
        if isinstance(self.char_ngram_range, str):  # "auto" (the only string allowed)
            mean_len = sum(map(len, texts)) / max(len(texts), 1)
            return (2, 5) if mean_len <= self.auto_char_max_length else None
        return self.char_ngram_range

    def _char_max_df(self, n_texts):
        """The char block's ``max_df``: the stricter of ``max_df`` and ``char_max_df``, as a
        count never below ``min_df``'s (scikit-learn takes a float only as a fraction)."""
        if self.char_max_df is None:
            return self.max_df

        def count(v):
            return v if isinstance(v, numbers.Integral) else v * n_texts

        limit = min(count(self.max_df), max(count(self.char_max_df), count(self.min_df)))
        return max(int(np.floor(limit)), 1)

    def _vectorizers(self, char_range, n_texts):
        if self.word_ngram_range is None and char_range is None:
            raise ValueError(
                "word_ngram_range and char_ngram_range are both None; enable at least one block, "
                "e.g. word_ngram_range=(1, 2)."
            )
        common = dict(lowercase=self.lowercase, strip_accents=self.strip_accents,
                      min_df=self.min_df, max_df=self.max_df, max_features=self.max_features,
                      sublinear_tf=self.sublinear_tf, dtype=np.float64)
        both = self.word_ngram_range is not None and char_range is not None
        # one block: the vectorizer normalizes; two: each block L2, then the whole row
        common["norm"] = "l2" if both else self.norm
        word = char = None
        if self.word_ngram_range is not None:
            word = TfidfVectorizer(analyzer="word", ngram_range=tuple(self.word_ngram_range),
                                   token_pattern=self.token_pattern, stop_words=self.stop_words,
                                   **common)
        if char_range is not None:
            common["max_df"] = self._char_max_df(n_texts)
            char = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_range),
                                   **common)
        return word, char

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Sequence[str] | ArrayLike, y: Any = None) -> TfidfFeaturizer:
        """Learn the vocabularies and IDF weights.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self.fit_transform(X)
        return self

    # TfidfVectorizer validates its own parameters again (the n-gram ranges' contents)
    @fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X: Sequence[str] | ArrayLike, y: Any = None) -> sp.csr_matrix:
        """Learn the vocabularies and return the features of ``X``.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.
        y : None
            Ignored.

        Returns
        -------
        X_features : sparse matrix of shape (n_samples, n_features_out_)
        """
        texts = check_texts(X, estimator=self)
        char_range = self._resolve_char_range(texts)
        word, char = self._vectorizers(char_range, len(texts))
        blocks = []
        for vec in (word, char):
            if vec is None:
                continue
            try:
                blocks.append(self._fit_block(vec, texts, is_char=vec is char))
            except ValueError as e:
                if "no terms remain" in str(e) or "empty vocabulary" in str(e):
                    raise ValueError(
                        f"TfidfFeaturizer found no terms to keep in {len(texts)} text(s) "
                        f"({e}). With few or very short texts lower min_df (e.g. min_df=1) "
                        "or raise max_df."
                    ) from e
                raise
        self.word_vectorizer_ = word
        self.char_vectorizer_ = char
        self.char_ngram_range_ = char_range
        out = self._combine(blocks)
        self.n_features_out_ = out.shape[1]
        return out

    def _fit_block(self, vec, texts, *, is_char):
        try:
            return vec.fit_transform(texts)
        except ValueError as e:
            # char_max_df is a speed measure: where it would leave no character n-gram
            # (a few repetitive texts, where speed does not matter) it is not applied
            if not (is_char and self.char_max_df is not None and "no terms remain" in str(e)):
                raise
            vec.set_params(max_df=self.max_df)
            return vec.fit_transform(texts)

    def _combine(self, blocks):
        if len(blocks) == 2 and self.char_weight != 1.0:
            blocks[1] = blocks[1] * float(self.char_weight)
        X = blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")
        X = sp.csr_matrix(X)
        if self.norm is not None and len(blocks) > 1:
            X = normalize(X, norm=self.norm, copy=False)
        X = X.astype(self.dtype, copy=False)
        X.sort_indices()
        return X

    def transform(self, X: Sequence[str] | ArrayLike) -> sp.csr_matrix:
        """Features of new texts with the learned vocabularies.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.

        Returns
        -------
        X_features : sparse matrix of shape (n_samples, n_features_out_)
        """
        check_is_fitted(self, "n_features_out_")
        texts = check_texts(X, estimator=self)
        blocks = [vec.transform(texts) for vec in (self.word_vectorizer_, self.char_vectorizer_)
                  if vec is not None]
        return self._combine(blocks)

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        """Feature names, prefixed ``word__`` and ``char__`` by block.

        Parameters
        ----------
        input_features : None
            Ignored (the features are made from raw texts, not from named columns).

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "n_features_out_")
        names = []
        for prefix, vec in (("word__", self.word_vectorizer_), ("char__", self.char_vectorizer_)):
            if vec is not None:
                names.extend(prefix + n for n in vec.get_feature_names_out())
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags
