"""The error of the io layer, and messages that name columns and parameters."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["DataError", "require_columns"]


class DataError(ValueError):
    """A data file that cannot be used as given.

    The message is one line meant for the user: what is wrong, where, and how
    to fix it. Parameters of the function that raised it are written
    ``name=`` in the message (``"choose the label columns with
    label_cols="``), and listed in :attr:`params`, so that a client such as
    the command line can speak of its own options instead
    (:meth:`message_with`).

    Parameters
    ----------
    message : str
        The one-line message for the user.
    param : str, default=None
        The parameter whose value (or absence) caused the error.
    params : sequence of str, default=()
        Other parameters the message names.

    Attributes
    ----------
    param : str or None
        As given.
    params : tuple of str
        Every parameter named in the message, ``param`` first.
    """

    def __init__(self, message: str, *, param: str | None = None,
                 params: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.param = param
        self.params = tuple(dict.fromkeys([*([param] if param else []), *params]))

    def message_with(self, names: Mapping[str, str]) -> str:
        """The message with each parameter written in another client's words.

        Parameters
        ----------
        names : mapping of str to str
            Parameter name -> how the client calls it, e.g.
            ``{"label_cols": "--label-cols"}``. Parameters not in it stay
            as ``name=``.

        Returns
        -------
        message : str
        """
        text = str(self)
        for p in self.params:
            if p in names:
                text = re.sub(rf"(?<![\w-]){re.escape(p)}=", lambda _m, p=p: names[p], text)
        return text


def display(source):
    """How a source is named in messages: its path, or ``<stdin>``."""
    if source is None or str(source) == "-":
        return "<stdin>"
    return str(source)


def shown(values, limit=12):
    """Up to ``limit`` values, comma-separated, with the total when cut."""
    # a name with a line break or a control character is shown escaped: one-line messages
    values = [str(v) if str(v).isprintable() else repr(str(v))[1:-1] for v in values]
    text = ", ".join(values[:limit])
    if len(values) > limit:
        text += f", ... ({len(values)} in all)"
    return text


def unknown_column(name, columns, where, param):
    """The DataError for a column that a parameter names but the data lacks."""
    columns = [str(c) for c in columns]
    close = difflib.get_close_matches(str(name), columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return DataError(
        f"{where} has no column {name!r} ({param}=); its columns are: {shown(columns, 30)}."
        f"{hint}",
        param=param,
    )


def require_columns(columns: Iterable[object], names: str | Iterable[str], *, param: str,
                    source: str | os.PathLike[str] = "-") -> None:
    """Check that every name is a column; raise a DataError that lists the columns otherwise.

    Parameters
    ----------
    columns : sequence of str
        The columns the data has, e.g. ``frame.columns``.
    names : str or sequence of str
        The columns required.
    param : str
        The parameter that named them, for the message and
        :attr:`DataError.param` (e.g. ``"id_col"``).
    source : str, default="-"
        The file, for the message (``"-"`` is standard input).

    Raises
    ------
    DataError
        For the first name that is not a column, with a close match when
        there is one.
    """
    columns = [str(c) for c in columns]
    for name in [names] if isinstance(names, str) else names:
        if str(name) not in columns:
            raise unknown_column(name, columns, display(source), param)


def empty_error(source):
    return DataError(
        f"{display(source)} is empty: it holds no header and no rows. Give a file with a "
        "header line and at least one data row."
    )


def check_unique_columns(names, source):
    """Raise a DataError naming the duplicated column names, if any.

    pandas would rename a second ``a`` to ``a.1`` and json would keep the last
    value: both are silent guesses about which column the user meant.
    """
    names = [str(n) for n in names]
    positions = {}
    for i, name in enumerate(names, start=1):
        positions.setdefault(name, []).append(i)
    dups = {n: p for n, p in positions.items() if len(p) > 1}
    if dups:
        listed = "; ".join(f"{n!r} (columns {', '.join(map(str, p))})"
                           for n, p in list(dups.items())[:5])
        more = f"; ... ({len(dups)} names in all)" if len(dups) > 5 else ""
        raise DataError(
            f"{display(source)} has duplicate column names: {listed}{more}. Column names must "
            "be unique, so that each names one column; rename the duplicates in the header."
        )
