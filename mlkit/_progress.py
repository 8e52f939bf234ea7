"""Progress bars for long work (threshold-tuning folds, encoding, training, the audit).

Library code prints nothing but these bars, and only when asked: every estimator that
shows one has a ``verbose`` parameter, off by default; the command line and ``make demo``
turn it on. Messages go through :mod:`logging` (``logging.getLogger("mlkit")``).
"""

import sys

from ._compat import StrOptions
from ._optional import import_optional

__all__ = ["AUTO_PROGRESS_MIN_TEXTS", "VERBOSE_CONSTRAINT", "progress_bar", "show_progress"]

#: The constraint of every ``verbose`` parameter: a bool, an int >= 0 (scikit-learn's
#: verbosity convention) or "auto".
VERBOSE_CONSTRAINT = [StrOptions({"auto"}), "verbose"]

#: With ``verbose="auto"``, work measured in texts shows a bar only from this many texts.
AUTO_PROGRESS_MIN_TEXTS = 1000


def show_progress(verbose, n_texts=None):
    """Whether to show a progress bar for ``verbose`` (a bool, an int >= 0 or "auto").

    True (or an int >= 1) always shows one and False (or 0) never does. ``"auto"``
    shows one when standard error is a terminal or inside a Jupyter kernel, and stays
    quiet otherwise (in tests, in CI logs, under cron); for work measured in texts
    (``n_texts`` given: encoding, inference) only from :data:`AUTO_PROGRESS_MIN_TEXTS`.
    """
    if isinstance(verbose, str):
        if n_texts is not None and n_texts < AUTO_PROGRESS_MIN_TEXTS:
            return False
        if "ipykernel" in sys.modules:
            return True
        try:
            return sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False
    return bool(verbose)


def progress_bar(show, *, total, desc, unit, extra=None, purpose=None):
    """A ``tqdm.auto`` bar on standard error when ``show``, else None.

    Parameters
    ----------
    show : bool
        Usually :func:`show_progress` of the estimator's ``verbose``.
    total : int
        Number of ``unit`` the work has.
    desc, unit : str
        The bar's label and unit (e.g. ``"Encoding"``, ``"text"``).
    extra, purpose : str, default=None
        The mlkit extra and what shows the bar, for the missing-package error.

    Returns
    -------
    bar : tqdm.tqdm or None
    """
    if not show:
        return None
    tqdm = import_optional("tqdm.auto", extra=extra, purpose=purpose)
    return tqdm.tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
