"""Validation of raw-text input shared by the text estimators."""

import numbers

import numpy as np

__all__ = ["check_texts"]


def _name(estimator):
    if estimator is None:
        return "This estimator"
    return type(estimator).__name__


def _is_missing(t):
    if t is None:
        return True
    if isinstance(t, numbers.Real) and not isinstance(t, bool) and t != t:
        return True
    return type(t).__name__ == "NAType"  # pandas.NA, from string and Arrow-backed Series


def _as_list(X, name):
    """The items of a 1-D text container as a Python list (no import of its library)."""
    if hasattr(X, "columns") and hasattr(X, "iloc"):  # pandas DataFrame
        if X.shape[1] != 1:
            raise ValueError(
                f"{name} expects one column of texts; got a DataFrame with {X.shape[1]} columns "
                f"({list(X.columns)[:5]}). Select the text column, e.g. df['text']."
            )
        X = X.iloc[:, 0]
    if hasattr(X, "to_pylist"):  # pyarrow Array / ChunkedArray
        return X.to_pylist()
    if hasattr(X, "to_numpy") and hasattr(X, "index"):  # pandas Series
        return X.to_numpy(dtype=object).tolist()
    if hasattr(X, "to_list") and not hasattr(X, "columns"):  # polars Series
        return X.to_list()
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                f"{name} expects a 1-D collection of texts; got an array of shape {X.shape}. "
                "Pass one text per sample, e.g. a list of str."
            )
        return X.tolist()
    if isinstance(X, (list, tuple)):
        return list(X)
    if isinstance(X, dict) or hasattr(X, "column_names"):  # a mapping or a whole HF Dataset
        raise TypeError(
            f"{name} expects one column of texts; got a {type(X).__name__} of several "
            "columns. Select the text column, e.g. dataset['text']."
        )
    try:
        return list(X)  # any other iterable, e.g. a Hugging Face datasets column
    except TypeError:
        raise TypeError(
            f"{name} expects an iterable over raw text documents; got "
            f"{type(X).__name__}. Pass a list, tuple, numpy array, pandas/polars Series or "
            "pyarrow array of str."
        ) from None


def check_texts(X, *, estimator=None, allow_empty=False):
    """Validate a collection of raw texts and return it as a list of str.

    Accepts a list, tuple, 1-D numpy array, pandas Series (also of the
    ``string`` or Arrow-backed dtypes), pyarrow Array or ChunkedArray, polars
    Series, or any other iterable of strings such as a Hugging Face
    ``datasets`` column (``ds["text"]``); a column vector of shape ``(n, 1)``
    and a one-column DataFrame are flattened. No library is imported to
    recognise its types. Never modifies ``X``.

    Parameters
    ----------
    X : iterable of str
        The texts.
    estimator : object, default=None
        Named in error messages.
    allow_empty : bool, default=False
        Whether zero texts are accepted.

    Returns
    -------
    texts : list of str

    Raises
    ------
    TypeError
        When ``X`` is a single string, not iterable, or holds non-strings.
    ValueError
        When ``X`` is empty or holds missing values (None or NaN).
    """
    name = _name(estimator)
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{name} expects an iterable over raw text documents (a list, array or Series of "
            f"str); a single {type(X).__name__} object was received. Wrap it in a list: [text]."
        )
    if X is None:
        raise TypeError(f"{name} expects a list of texts; got None.")
    texts = _as_list(X, name)
    if not texts and not allow_empty:
        raise ValueError(
            f"{name} received an empty list of texts; at least one document is required."
        )
    missing = []
    wrong = []
    for i, t in enumerate(texts):
        if isinstance(t, str):
            continue
        if _is_missing(t):
            missing.append(i)
        else:
            wrong.append((i, t))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise ValueError(
            f"{name} received {len(missing)} missing text(s) (None or NaN) at position(s) "
            f"{shown}. Drop those rows or fill them, e.g. with an empty string."
        )
    if wrong:
        i, t = wrong[0]
        raise TypeError(
            f"{name} expects every document to be a str; position {i} holds "
            f"{type(t).__name__} {t!r:.60}"
            + (f" ({len(wrong)} non-string values in all)" if len(wrong) > 1 else "")
            + ". Convert the values with str(), or decode bytes first."
        )
    return texts
