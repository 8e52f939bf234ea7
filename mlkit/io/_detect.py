"""Layout and column detection: the text column, 0/1 label columns, label cells."""

from __future__ import annotations

import ast
import json
import math
import numbers
from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np

from ._errors import DataError, display, shown, unknown_column
from ._files import pandas

if TYPE_CHECKING:
    import os

    import pandas as pd

__all__ = ["find_text_column"]

# column names tried, in this order, when the text column is not given
TEXT_NAMES = (
    "text", "comment_text", "texts", "document", "doc", "content", "sentence", "body",
    "comment", "review", "message", "title", "abstract", "description", "tweet",
)
# column names tried when neither label columns nor a labels column is given
# and no 0/1 column exists
TAGS_NAMES = ("labels", "tags", "label", "categories", "topics", "classes", "emotions")

# label cells read as 1 / 0 (compared lower-case)
_TRUE = frozenset({"1", "1.0", "true", "yes"})
_FALSE = frozenset({"0", "0.0", "false", "no"})


def is_missing(value):
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, str) and not value.strip()


def as01(value):
    """0 or 1 for a label cell, None when missing; raises ValueError otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, numbers.Number):
        if isinstance(value, float) and math.isnan(value):
            return None
        if value == 0 or value == 1:
            return int(value)
        raise ValueError
    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip().lower()
        if not v:
            return None
        if v in _TRUE:
            return 1
        if v in _FALSE:
            return 0
    raise ValueError


def _factorize(series):
    """Codes and unique values of a column; unhashable cells (lists) become tuples."""
    pd = pandas()
    try:
        return pd.factorize(series.astype(object), use_na_sentinel=False)
    except TypeError:
        keyed = [v if not isinstance(v, (list, dict, set, np.ndarray))
                 else (type(v).__name__, repr(v)) for v in series.tolist()]
        return pd.factorize(pd.Series(keyed, dtype=object), use_na_sentinel=False)


def _column_01_stats(series):
    """(n_ok, n_missing, n_bad) for a column read as 0/1 labels."""
    codes, uniques = _factorize(series)
    status = np.empty(len(uniques), dtype=np.int8)  # 0 ok, 1 missing, 2 bad
    for i, u in enumerate(uniques):
        try:
            status[i] = 1 if as01(u) is None else 0
        except (ValueError, TypeError):
            status[i] = 2
    per_row = status[codes] if len(codes) else np.zeros(0, dtype=np.int8)
    return int(np.sum(per_row == 0)), int(np.sum(per_row == 1)), int(np.sum(per_row == 2))


def label_column(series, name, source):
    """A validated int8 0/1 vector from a label column (0/1, true/false or yes/no)."""
    codes, uniques = _factorize(series)
    mapped = np.empty(len(uniques), dtype=np.int8)
    bad_codes = []
    missing_codes = []
    for i, u in enumerate(uniques):
        try:
            v = as01(u)
        except (ValueError, TypeError):
            bad_codes.append(i)
            continue
        if v is None:
            missing_codes.append(i)
        else:
            mapped[i] = v
    if bad_codes:
        rows = np.flatnonzero(np.isin(codes, bad_codes))
        cells = ", ".join(f"{series.iloc[r]!r} in row {r + 1}" for r in rows[:3])
        more = f" ({len(rows)} rows in all)" if len(rows) > 3 else ""
        raise DataError(
            f"{display(source)}: label column {name!r} holds values other than 0 and 1: "
            f"{cells}{more}. Each label column must hold 1 (label applies) or 0 (true/false and "
            "yes/no are read as 1/0); fix those rows, or choose the label columns with "
            "label_cols=.",
            param="label_cols",
        )
    if missing_codes:
        rows = np.flatnonzero(np.isin(codes, missing_codes))
        where = ", ".join(str(r + 1) for r in rows[:5])
        more = f", ... ({len(rows)} rows in all)" if len(rows) > 5 else ""
        raise DataError(
            f"{display(source)}: label column {name!r} has no value in row(s) {where}{more}. "
            "Fill missing labels with 0 (label absent) or drop those rows (or, if it is not a "
            "label column, choose the label columns with label_cols=).",
            param="label_cols",
        )
    return mapped[codes] if len(codes) else np.zeros(0, dtype=np.int8)


def is_id_like(name):
    """Id-like or unnamed columns (an empty header cell, pandas' ``Unnamed: 0`` index)."""
    n = str(name).strip().lower()
    if not n or n.startswith("unnamed: "):
        return True
    return n in ("id", "ids", "index", "row", "row_id", "uid", "uuid", "key") or n.endswith(
        ("_id", "-id", " id"))


def _text_like(series):
    """Fraction of non-missing cells that are strings (not 0/1-like, not numbers)."""
    n = 0
    texts = 0
    for v in series.iloc[:2000]:
        if is_missing(v):
            continue
        n += 1
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                texts += 1
    return texts / n if n else 0.0


def _mean_length(series):
    lengths = [len(v) for v in series.iloc[:2000] if isinstance(v, str)]
    return float(np.mean(lengths)) if lengths else 0.0


def find_text_column(frame: pd.DataFrame, text_col: str | None = None, *,
                     exclude: Collection[str] = (), source: str | os.PathLike[str] = "-") -> str:
    """The text column of a frame: ``text_col`` checked, or detected as in :func:`read_dataset`.

    Parameters
    ----------
    frame : pandas.DataFrame
    text_col : str, default=None
        The column to use; when None, the first of ``text``,
        ``comment_text``, ``document``, ... among the string columns, else
        the string column with the longest texts.
    exclude : collection of str, default=()
        Columns that are not candidates (e.g. the label columns).
    source : str, default="-"
        The file, for messages.

    Returns
    -------
    text_col : str

    Raises
    ------
    DataError
        When ``text_col`` is not a column, or no column holds texts.
    """
    return text_column_choice(frame, text_col, exclude=exclude, source=source)[0]


def text_column_choice(frame, text_col=None, *, exclude=(), source="-"):
    """(text_col, how it was chosen) as in :func:`find_text_column`."""
    columns = list(frame.columns)
    if text_col is not None:
        if str(text_col) not in columns:
            raise unknown_column(text_col, columns, display(source), "text_col")
        return str(text_col), "given (text_col=)"
    exclude = set(exclude)
    candidates = [c for c in columns if c not in exclude and _text_like(frame[c]) >= 0.5]
    lowered = {c.lower(): c for c in candidates}
    for name in TEXT_NAMES:
        if name in lowered and not is_id_like(lowered[name]):
            return lowered[name], f"named {name!r}"
    candidates = [c for c in candidates if not is_id_like(c)]
    if not candidates:
        raise DataError(
            f"{display(source)}: found no text column (columns: {shown(columns, 30)}). Name "
            "the column that holds the texts with text_col=.",
            param="text_col",
        )
    if len(candidates) == 1:
        return candidates[0], "the only column of texts"
    chosen = max(candidates, key=lambda c: _mean_length(frame[c]))
    return chosen, (f"the longest texts of {len(candidates)} columns of texts "
                    f"({shown(candidates)}); choose another with text_col=")


def auto_label_columns(frame, text_col, source, unused=None):
    """Wide 0/1 label columns, or raise for a column that is almost all 0/1.

    The rule: a column (other than the text column and id-like or unnamed
    columns) is a label column when every cell is 0/1 (true/false, yes/no).
    A column whose filled cells are all 0/1 but some are empty, or that is at
    least 95 % 0/1, is refused (the message names the rows), since it looks
    like a label column with mistakes. Every other column is not a label;
    ``unused``, a dict, receives why for each.
    """
    found = []
    unused = {} if unused is None else unused
    for col in frame.columns:
        if col == text_col:
            continue
        if is_id_like(col):
            unused[col] = "an id-like or unnamed column"
            continue
        series = frame[col]
        n_ok, n_missing, n_bad = _column_01_stats(series)
        if n_ok == 0:
            unused[col] = "empty" if n_bad == 0 else "values other than 0/1"
            continue
        if n_bad == 0 and n_missing == 0:
            found.append(col)
        elif n_bad == 0 or n_ok >= 0.95 * len(series):  # a label column with mistakes
            label_column(series, col, source)  # raises with the rows
        else:
            unused[col] = "values other than 0/1"
    return found


def tags_column(frame, text_col, exclude=()):
    """The first column named like a labels column (``labels``, ``tags``, ...), or None."""
    lowered = {c.lower(): c for c in frame.columns if c != text_col and c not in exclude}
    return next((lowered[n] for n in TAGS_NAMES if n in lowered), None)


def label_cell(value, sep):
    """The labels of one cell of a labels column, as a list.

    Names stay strings; numbers inside a list (a real list, or a JSON or
    Python list literal such as ``"[0, 1, 0]"``) stay numbers, so that 0/1
    rows and label ids can be told from names. Raises TypeError for a cell
    that holds no labels at all (e.g. a dict).
    """
    if is_missing(value):
        return []
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, set, frozenset)):
        out = []
        for v in value:
            if is_missing(v):
                continue
            if isinstance(v, (numbers.Number, np.bool_)):
                out.append(v.item() if isinstance(v, np.generic) else v)
            elif isinstance(v, str):
                if v.strip():
                    out.append(v.strip())
            else:
                raise TypeError(f"{type(v).__name__} inside a list")
        return out
    if isinstance(value, str):
        v = value.strip()
        if v.startswith("[") and v.endswith("]"):  # a JSON or Python list literal
            for parse in (json.loads, ast.literal_eval):
                try:
                    parsed = parse(v)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
                if isinstance(parsed, list):
                    return label_cell(parsed, sep)
        return [t.strip() for t in v.split(sep) if t.strip()]
    if isinstance(value, numbers.Number):
        return [str(value)]
    raise TypeError(type(value).__name__)


def texts_from(series, source, text_col):
    """The texts of a column as a list of str; a DataError for missing or non-text cells."""
    texts = []
    missing = []
    wrong = []
    for i, v in enumerate(series.tolist()):
        if isinstance(v, str):
            texts.append(v)
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            missing.append(i)
            texts.append(None)
        elif isinstance(v, (numbers.Number, np.generic)) and not isinstance(v, bool):
            texts.append(str(v))
        else:
            wrong.append(i)
            texts.append(None)
    if missing:
        rows = ", ".join(str(r + 1) for r in missing[:5])
        more = f", ... ({len(missing)} rows in all)" if len(missing) > 5 else ""
        raise DataError(
            f"{display(source)}: text column {text_col!r} has no value in row(s) {rows}{more}. "
            "Drop those rows or fill them (e.g. with an empty string)."
        )
    if wrong:
        r = wrong[0]
        raise DataError(
            f"{display(source)}: text column {text_col!r} holds a "
            f"{type(series.iloc[r]).__name__} in row {r + 1}, not a text. Check text_col=.",
            param="text_col",
        )
    return texts
