"""Imports of optional dependencies, with errors that name the extra to install.

Every module that needs torch, transformers, sentence-transformers, fastapi,
uvicorn, skops, matplotlib, pandas or pyarrow imports it through
:func:`import_optional`, inside the function or method that needs it, so that
``import mlkit`` and the classical path work with the core dependencies alone.
"""

import importlib

__all__ = ["EXTRAS", "import_optional"]

# top-level module -> the mlkit extra that installs it
EXTRAS = {
    "torch": "transformer",
    "transformers": "transformer",
    "sentence_transformers": "embeddings",
    "fastapi": "serve",
    "uvicorn": "serve",
    "skops": "skops",
    "httpx": "serve",
    "matplotlib": "plots",
    "pandas": "pandas",
    "pyarrow": "parquet",
    "dask": "dask", "distributed": "dask", "ray": "ray",
}


def import_optional(name, *, extra=None, purpose=None):
    """Import an optional dependency or raise an ImportError that says how to install it.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"torch"`` or ``"matplotlib.pyplot"``.
    extra : str, default=None
        The mlkit extra that installs it; looked up from the top-level module
        name in :data:`EXTRAS` when None.
    purpose : str, default=None
        What needs it, for the message, e.g. ``"TransformerClassifier"``.

    Returns
    -------
    module : module

    Raises
    ------
    ImportError
        When the module is missing; the message names the
        ``pip install "mlkit[extra]"`` command to run.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra = extra or EXTRAS.get(top)
        what = f"{purpose} requires" if purpose else "This feature requires"
        how = (f'pip install "mlkit[{extra}]"' if extra
               else f"pip install {top}")
        raise ImportError(
            f"{what} the optional dependency {top!r}, which could not be imported "
            f"({exc}). Install it with: {how}"
        ) from exc
