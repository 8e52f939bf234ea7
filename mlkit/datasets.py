"""Multi-label text datasets: GoEmotions (bundled) and Reuters-21578 ApteMod (from a path).

Both loaders follow the scikit-learn ``load_*`` conventions: they return a
:class:`~sklearn.utils.Bunch` with ``data`` (a list of str), ``target`` (a dense
0/1 indicator matrix of shape ``(n_samples, n_labels)``), ``target_names``,
``ids``, ``frame`` and ``DESCR``, or ``(data, target)`` with ``return_X_y=True``.

GoEmotions ships with mlkit (Apache-2.0; its licence and provenance notes are
installed next to the files, in ``mlkit/data/goemotions/``). Reuters-21578 may
only be distributed for research purposes, so mlkit never bundles it: pass the
folder (or archive) that holds your copy to :func:`load_reuters`.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import tarfile
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_goemotions", "load_reuters"]

# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------


def _resolve_subset(subset, splits, loader):
    """Turn ``subset`` into a tuple of split names, in the order to concatenate them.

    ``subset`` is one of ``splits``, ``"all"`` (every split, in the order of
    ``splits``), or a list/tuple of distinct split names.
    """
    allowed = (*splits, "all")
    hint = (
        f"{loader} expects subset to be one of {allowed!r}, or a list of distinct split names "
        f"such as {list(splits[:2])!r}"
    )
    if isinstance(subset, str):
        if subset == "all":
            return tuple(splits)
        if subset in splits:
            return (subset,)
        raise ValueError(f"{hint}; got subset={subset!r}.")
    if isinstance(subset, (list, tuple)):
        names = list(subset)
        if not names:
            raise ValueError(f"{hint}; got an empty {type(subset).__name__}.")
        for name in names:
            if not isinstance(name, str) or name not in splits:
                raise ValueError(
                    f"{hint}; got {name!r} inside subset={subset!r}. "
                    f"A list may only hold {list(splits)!r}."
                )
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(
                f"{hint}; subset={subset!r} names {duplicates!r} more than once, which would "
                "load the same rows twice."
            )
        return tuple(names)
    raise TypeError(f"{hint}; got {type(subset).__name__} {subset!r}. Pass a str or a list of str.")


def _check_flag(value, name, loader):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{loader} expects {name} to be True or False; got {value!r}.")
    return bool(value)


def _require_pandas(loader):
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - pandas is installed in the test env
        raise ImportError(
            f'{loader}(as_frame=True) requires pandas. Install it with: pip install "mlkit[pandas]"'
            ", or call it with as_frame=False to get a list of str and a numpy array."
        ) from e
    return pd


def _label_stats(target):
    n = target.shape[0]
    cardinality = float(target.sum() / n) if n else 0.0
    return n, cardinality


def _make_bunch(*, data, target, target_names, ids, descr, return_X_y, as_frame, loader):
    """Assemble the result of a loader in the scikit-learn conventions."""
    frame = None
    if as_frame:
        pd = _require_pandas(loader)
        data = pd.Series(data, name="text", dtype=object)
        target = pd.DataFrame(target, columns=list(target_names))
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=target_names,
        ids=ids,
        frame=frame,
        DESCR=descr,
    )


def _indicator(label_lists, n_labels):
    """Build an int64 0/1 matrix from per-row lists of label indices."""
    counts = np.fromiter((len(row) for row in label_lists), dtype=np.intp, count=len(label_lists))
    cols = np.fromiter(
        (j for row in label_lists for j in row), dtype=np.intp, count=int(counts.sum())
    )
    rows = np.repeat(np.arange(len(label_lists), dtype=np.intp), counts)
    target = np.zeros((len(label_lists), n_labels), dtype=np.int64)
    target[rows, cols] = 1
    return target


# --------------------------------------------------------------------------
# GoEmotions (bundled)
# --------------------------------------------------------------------------

_GOEMOTIONS_SPLITS = ("train", "dev", "test")
# Row counts of the official simplified split (SOURCE.md, "Verified counts").
_GOEMOTIONS_ROWS = {"train": 43410, "dev": 5426, "test": 5427}

_GOEMOTIONS_DESCR = """\
.. _goemotions_dataset:

GoEmotions dataset (simplified, 27 emotions + neutral)
------------------------------------------------------

54,263 English Reddit comments, each labelled with one or more of 27
emotion categories or ``neutral`` (28 labels), in the official
train/dev/test split of the simplified version.

**Data Set Characteristics:**

=================  =============================================
Samples            train 43,410 / dev 5,426 / test 5,427
Labels             28 (27 emotions + neutral), multi-label
Label cardinality  train 1.177 / dev 1.176 / test 1.166
Features           raw text (str); names and religions masked
                   as ``[NAME]`` and ``[RELIGION]``
Every row has      at least one label
Rarest labels      grief (96 rows), pride (142), relief (182)
=================  =============================================

This copy: subset {subset}, {n_samples:,} comments, label cardinality
{cardinality:.4f}.

Origin: ``data/original/{{train,dev,test}}.tsv`` and ``labels.txt`` of the
GitHub repository monologg/GoEmotions-pytorch (commit b75f9d3a), which
reproduces ``goemotions/data/`` of google-research/google-research. The files
are gzip copies, unedited. Label ids index ``emotions.txt``, in file order.
Some text fields use CSV quoting (1,097 train, 137 dev and 149 test lines);
they are read with :func:`csv.reader`, so no stray quote characters remain.
Text is returned exactly as stored (some comments end in a space).

Licence: Apache License 2.0 (the licence of monologg/GoEmotions-pytorch; the
Hugging Face card of google-research-datasets/go_emotions also lists
apache-2.0). A copy of the licence text and the full provenance notes
(``SOURCE.md``, with SHA-256 sums) are installed in ``mlkit/data/goemotions/``.

Published results on the test split: macro-F1 0.46 with BERT-base
(Demszky et al., 2020); monologg/GoEmotions-pytorch reports macro-F1 50.30%.

.. rubric:: References

* Dorottya Demszky, Dana Movshovitz-Attias, Jeongwoo Ko, Alan Cowen, Gaurav
  Nemade and Sujith Ravi. "GoEmotions: A Dataset of Fine-Grained Emotions".
  Proceedings of ACL 2020, pages 4040-4054. arXiv:2005.00547.
"""


def _goemotions_files():
    return resources.files("mlkit").joinpath("data", "goemotions")


@lru_cache(maxsize=1)
def _goemotions_names():
    text = _goemotions_files().joinpath("emotions.txt").read_text(encoding="utf-8")
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(names) != 28:  # pragma: no cover - corrupt installation
        raise RuntimeError(
            f"The bundled GoEmotions emotions.txt lists {len(names)} labels instead of 28; "
            "the mlkit installation looks damaged. Reinstall mlkit."
        )
    return names


@lru_cache(maxsize=len(_GOEMOTIONS_SPLITS))
def _goemotions_split(split):
    """Parse one bundled split; cached, the arrays are read-only (callers get copies)."""
    n_labels = len(_goemotions_names())
    resource = _goemotions_files().joinpath(f"{split}.tsv.gz")
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    texts, label_lists, ids = [], [], []
    for lineno, row in enumerate(rows, start=1):
        try:
            text, labels, comment_id = row
            label_ids = [int(j) for j in labels.split(",")]
        except ValueError:  # pragma: no cover - corrupt installation
            raise RuntimeError(
                f"Line {lineno} of the bundled GoEmotions {split}.tsv.gz is not "
                f"'text<TAB>label ids<TAB>id': {row!r}. Reinstall mlkit."
            ) from None
        if any(not 0 <= j < n_labels for j in label_ids):  # pragma: no cover
            raise RuntimeError(
                f"Line {lineno} of the bundled GoEmotions {split}.tsv.gz has label ids "
                f"{label_ids} outside 0..{n_labels - 1}. Reinstall mlkit."
            )
        texts.append(text)
        label_lists.append(label_ids)
        ids.append(comment_id)
    if len(texts) != _GOEMOTIONS_ROWS[split]:  # pragma: no cover - corrupt installation
        raise RuntimeError(
            f"The bundled GoEmotions {split}.tsv.gz has {len(texts)} rows, expected "
            f"{_GOEMOTIONS_ROWS[split]}. The mlkit installation looks damaged; reinstall it."
        )
    target = _indicator(label_lists, n_labels)
    ids = np.asarray(ids, dtype=object)
    target.flags.writeable = False
    ids.flags.writeable = False
    return tuple(texts), target, ids


def load_goemotions(subset: str | Sequence[str] = "train", *, return_X_y: bool = False,
                    as_frame: bool = False) -> Bunch | tuple[Any, Any]:
    """Load the GoEmotions dataset (multi-label, 28 labels), bundled with mlkit.

    The simplified version of GoEmotions holds 54,263 English Reddit comments,
    each labelled with one or more of 27 emotions or ``neutral``. Its official
    train/dev/test split ships with mlkit, so this function reads local files
    only and needs no network.

    =================  =====================================
    Labels             28 (27 emotions + neutral)
    Samples            train 43,410 / dev 5,426 / test 5,427
    Label cardinality  train 1.177 / dev 1.176 / test 1.166
    Features           text (str)
    =================  =====================================

    Parameters
    ----------
    subset : {"train", "dev", "test", "all"} or list of str, default="train"
        Which split to load. ``"all"`` concatenates train, dev and test in that
        order; a list such as ``["train", "dev"]`` concatenates those splits in
        the order given.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas Series named ``"text"``, ``target`` a
        pandas DataFrame with one 0/1 column per emotion (mlkit estimators take
        the column names as label names), and ``frame`` a DataFrame with both.
        Requires pandas.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : list of str of length n_samples
            The comments, exactly as stored.
        target : ndarray of shape (n_samples, 28), dtype int64
            Label indicator matrix: ``target[i, j] == 1`` when comment ``i``
            carries emotion ``target_names[j]``. Every row has at least one label.
        target_names : ndarray of shape (28,), dtype object
            The emotion names, in the order of ``emotions.txt``
            (``"admiration"`` ... ``"surprise"``, ``"neutral"``).
        ids : ndarray of shape (n_samples,), dtype object
            Reddit comment ids.
        frame : pandas DataFrame of shape (n_samples, 29) or None
            Only with ``as_frame=True``: column ``"text"`` and the 28 label columns.
        DESCR : str
            Description of the dataset: origin, licence, counts and citation.

    (data, target) : tuple if ``return_X_y`` is True
        The comments and the indicator matrix described above.

    See Also
    --------
    load_reuters : Reuters-21578 ApteMod news, read from a local copy.

    Notes
    -----
    Parsed splits are cached for the life of the process; every call returns
    fresh copies, so modifying the result never changes later calls.

    References
    ----------
    Demszky et al., "GoEmotions: A Dataset of Fine-Grained Emotions", ACL 2020.

    Examples
    --------
    >>> from mlkit.datasets import load_goemotions
    >>> bunch = load_goemotions(subset="dev")
    >>> len(bunch.data), bunch.target.shape
    (5426, (5426, 28))
    >>> list(bunch.target_names[:3])
    ['admiration', 'amusement', 'anger']
    >>> X, Y = load_goemotions(subset="test", return_X_y=True)
    >>> round(float(Y.sum(axis=1).mean()), 3)
    1.166
    """
    loader = "load_goemotions"
    splits = _resolve_subset(subset, _GOEMOTIONS_SPLITS, loader)
    return_X_y = _check_flag(return_X_y, "return_X_y", loader)
    as_frame = _check_flag(as_frame, "as_frame", loader)
    if as_frame:
        _require_pandas(loader)

    parts = [_goemotions_split(split) for split in splits]
    data = [text for texts, _, _ in parts for text in texts]
    # np.concatenate and .copy() both return fresh writeable arrays
    target = np.concatenate([t for _, t, _ in parts]) if len(parts) > 1 else parts[0][1].copy()
    ids = np.concatenate([i for _, _, i in parts]) if len(parts) > 1 else parts[0][2].copy()
    target_names = np.asarray(_goemotions_names(), dtype=object)

    n_samples, cardinality = _label_stats(target)
    label = subset if isinstance(subset, str) else "+".join(splits)
    descr = _GOEMOTIONS_DESCR.format(
        subset=repr(label), n_samples=n_samples, cardinality=cardinality
    )
    return _make_bunch(
        data=data,
        target=target,
        target_names=target_names,
        ids=ids,
        descr=descr,
        return_X_y=return_X_y,
        as_frame=as_frame,
        loader=loader,
    )


# --------------------------------------------------------------------------
# Reuters-21578 ApteMod (user-supplied)
# --------------------------------------------------------------------------

_REUTERS_SPLITS = ("train", "test")
_REUTERS_NLTK_DIR = {"train": "training", "test": "test"}
_REUTERS_JSONL = {"train": "aptemod_train.jsonl.gz", "test": "aptemod_test.jsonl.gz"}
_REUTERS_CATEGORIES = "aptemod_categories.txt"
_REUTERS_ARCHIVES = ("reuters-aptemod-nltk.tar.xz", "reuters.zip", "reuters.tar.gz")
# NLTK reads the ApteMod files as ISO-8859-2 (one file, test/17980, is not ASCII).
_REUTERS_ENCODING = "iso-8859-2"

_REUTERS_HOWTO = """\
mlkit does not ship Reuters-21578: its licence allows distribution for research
purposes only. Get the ApteMod version with NLTK:
    python -c "import nltk; nltk.download('reuters', download_dir='DIR')"
and pass DIR/corpora/reuters.zip (or the unzipped DIR/corpora/reuters folder) to
load_reuters. The original SGML distribution is on the UCI Machine Learning
Repository ("Reuters-21578 Text Categorization Collection")."""

_REUTERS_DESCR = """\
.. _reuters_dataset:

Reuters-21578 ApteMod (ModApte split, 90 categories)
----------------------------------------------------

Reuters newswire stories from 1987, labelled with one or more of the 90
TOPICS categories that have at least one training and one test document.

**Data Set Characteristics:**

=================  =============================================
Samples            train 7,769 / test 3,019
Labels             90, multi-label
Label cardinality  train 1.234 / test 1.240
Features           raw text (str): title line, then the body
Most frequent      earn, acq, money-fx (train)
=================  =============================================

This copy: subset {subset}, {n_samples:,} documents, label cardinality
{cardinality:.4f}, read from {source}.

The split is the NLTK corpus version of ApteMod (``nltk.corpus.reuters``):
ModApte train/test documents with at least one of the 90 categories. It has
one training document fewer than the 7,770 derived from the SGML files
(NEWID 1199, whose body is empty). Document ids are NLTK file ids such as
``"training/1"``; texts are decoded as ISO-8859-2, as NLTK does.
``cats.txt`` repeats a category in two documents (``training/5467``: corn,
``test/19918``: trade); ``target`` counts each category once, so label
cardinality is 1.2336 / 1.2401, slightly below the 1.2337 / 1.2405 obtained
by counting the repeated entries.

Licence: research use only; mlkit does not distribute it. From the
collection's README.txt:

    The copyright for the text of newswire articles and Reuters annotations
    in the Reuters-21578 collection resides with Reuters Ltd. Reuters Ltd.
    and Carnegie Group, Inc. have agreed to allow the free distribution of
    this data *for research purposes only*. If you publish results based on
    this data set, please acknowledge its use, refer to the data set by the
    name "Reuters-21578, Distribution 1.0" ...

.. rubric:: References

* David D. Lewis. Reuters-21578 text categorization test collection,
  Distribution 1.0 (README v1.2, 1997).
* Chidanand Apté, Fred Damerau and Sholom M. Weiss. "Automated learning of
  decision rules for text categorization". ACM TOIS 12(3), 1994 (the ModApte split).
* Yiming Yang and Xin Liu. "A re-examination of text categorization methods".
  SIGIR 1999.
"""


def _parse_cats(lines, where):
    """Parse NLTK ``cats.txt`` lines into ``{fileid: [labels]}``."""
    cats = {}
    for lineno, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2 or "/" not in parts[0]:
            raise ValueError(
                f"Line {lineno} of {where} is {line.strip()!r}; expected "
                "'<training|test>/<NEWID> category [category ...]'. Is this the NLTK "
                "Reuters cats.txt?"
            )
        cats[parts[0]] = sorted(parts[1:])
    return cats


def _newid_key(fileid):
    name = fileid.rsplit("/", 1)[-1]
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def _nltk_rows(cats, read, splits, where):
    """Documents of an NLTK-layout corpus; ``read(fileid)`` returns the file's bytes."""
    rows = []
    for split in splits:
        prefix = _REUTERS_NLTK_DIR[split] + "/"
        fileids = sorted((f for f in cats if f.startswith(prefix)), key=_newid_key)
        if not fileids:
            raise ValueError(
                f"{where} lists no documents under {prefix!r}; expected the NLTK ApteMod "
                "layout with 'training/<NEWID>' and 'test/<NEWID>' entries."
            )
        for fileid in fileids:
            raw = read(fileid)
            if raw is None:
                raise FileNotFoundError(
                    f"{where} lists document {fileid!r}, but its file is missing. The copy "
                    "looks incomplete; unpack the corpus again."
                )
            rows.append((fileid, raw.decode(_REUTERS_ENCODING), cats[fileid]))
    return rows


def _read_reuters_jsonl(root, splits):
    names_path = root / _REUTERS_CATEGORIES
    names = [line.strip() for line in names_path.read_text(encoding="utf-8").splitlines()]
    names = [name for name in names if name]
    rows = []
    for split in splits:
        path = root / _REUTERS_JSONL[split]
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                    rows.append((doc["id"], doc["text"], list(doc["labels"])))
                except (ValueError, KeyError, TypeError) as e:
                    raise ValueError(
                        f"Line {lineno} of {path} is not a JSON object with 'id', 'text' and "
                        f"'labels' ({type(e).__name__}: {e})."
                    ) from None
    return names, rows


def _read_reuters_nltk_dir(root, splits):
    cats_path = root / "cats.txt"
    cats = _parse_cats(cats_path.read_text(encoding="ascii").splitlines(), cats_path)

    def read(fileid):
        path = root / fileid
        return path.read_bytes() if path.is_file() else None

    names = sorted({c for labels in cats.values() for c in labels})
    return names, _nltk_rows(cats, read, splits, cats_path)


def _read_reuters_archive(archive, splits):
    """Read the NLTK layout from a .zip or tar archive, wherever ``cats.txt`` sits in it."""
    wanted_dirs = {_REUTERS_NLTK_DIR[s] for s in splits}
    files = {}
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = [n for n in zf.namelist() if not n.endswith("/")]
            cats_name = _find_cats(members, archive)
            prefix = cats_name[: -len("cats.txt")]
            for name in members:
                rel = name[len(prefix) :] if name.startswith(prefix) else None
                if rel == "cats.txt" or (rel and rel.split("/", 1)[0] in wanted_dirs):
                    files[rel] = zf.read(name)
    else:
        try:
            tf = tarfile.open(archive, "r:*")
        except tarfile.TarError as e:
            raise ValueError(
                f"{archive} is neither a zip nor a tar archive ({e}). Pass the folder that "
                "holds the Reuters files, or the NLTK corpus archive itself."
            ) from None
        with tf:
            members = [m for m in tf.getmembers() if m.isfile()]
            cats_name = _find_cats([m.name for m in members], archive)
            prefix = cats_name[: -len("cats.txt")]
            for member in members:
                name = member.name
                rel = name[len(prefix) :] if name.startswith(prefix) else None
                if rel == "cats.txt" or (rel and rel.split("/", 1)[0] in wanted_dirs):
                    files[rel] = tf.extractfile(member).read()
    where = f"cats.txt in {archive}"
    cats = _parse_cats(files["cats.txt"].decode("ascii").splitlines(), where)
    names = sorted({c for labels in cats.values() for c in labels})
    return names, _nltk_rows(cats, files.get, splits, where)


def _find_cats(member_names, archive):
    candidates = sorted(
        (n for n in member_names if n == "cats.txt" or n.endswith("/cats.txt")),
        key=lambda n: n.count("/"),
    )
    if not candidates:
        raise FileNotFoundError(
            f"{archive} holds no 'cats.txt', so it is not the NLTK Reuters corpus "
            f"(expected reuters/cats.txt, reuters/training/, reuters/test/).\n{_REUTERS_HOWTO}"
        )
    return candidates[0]


def _locate_reuters(path):
    """Find a readable copy of the ApteMod data at ``path``.

    Returns ``(kind, location)`` with kind in {"jsonl", "nltk", "archive"};
    raises FileNotFoundError that lists everything looked for.
    """
    if not path.exists():
        raise FileNotFoundError(
            f"load_reuters: path {str(path)!r} does not exist. Pass the folder (or archive) "
            f"that holds your copy of Reuters-21578 ApteMod.\n{_REUTERS_HOWTO}"
        )
    if path.is_file():
        return "archive", path

    looked_for = []
    jsonl = [path / _REUTERS_JSONL[s] for s in _REUTERS_SPLITS] + [path / _REUTERS_CATEGORIES]
    looked_for.append(", ".join(p.name for p in jsonl) + f" in {path}")
    present = [p.is_file() for p in jsonl]
    if all(present):
        return "jsonl", path
    if any(present):
        missing = [p.name for p, ok in zip(jsonl, present, strict=True) if not ok]
        raise FileNotFoundError(
            f"load_reuters: {str(path)!r} holds part of the ApteMod JSONL files; missing "
            f"{missing}. All three of {[p.name for p in jsonl]} are needed."
        )

    for root in (path, path / "reuters", path / "corpora" / "reuters"):
        looked_for.append(str(root / "cats.txt") + " with training/ and test/")
        if (root / "cats.txt").is_file() and (root / "training").is_dir():
            return "nltk", root

    for folder in (path, path / "corpora"):
        for name in _REUTERS_ARCHIVES:
            looked_for.append(str(folder / name))
            if (folder / name).is_file():
                return "archive", folder / name

    listing = "\n".join(f"  - {item}" for item in looked_for)
    raise FileNotFoundError(
        f"load_reuters found no Reuters-21578 ApteMod data in {str(path)!r}. Looked for:\n"
        f"{listing}\n{_REUTERS_HOWTO}"
    )


def load_reuters(path: str | os.PathLike[str], subset: str | Sequence[str] = "train", *,
                 return_X_y: bool = False, as_frame: bool = False) -> Bunch | tuple[Any, Any]:
    """Load Reuters-21578 ApteMod (90 categories, multi-label) from a local copy.

    The Reuters-21578 licence allows distribution for research purposes only,
    so mlkit does not bundle it: ``path`` points to your copy. Three layouts
    are read, looked for in this order:

    1. a folder with ``aptemod_train.jsonl.gz``, ``aptemod_test.jsonl.gz`` and
       ``aptemod_categories.txt`` (one JSON document per line:
       ``{"id": "training/1", "labels": ["cocoa"], "text": "..."}``);
    2. the NLTK corpus folder ``reuters/`` (``cats.txt``, ``training/``,
       ``test/``), given itself, or its parent, or an ``nltk_data`` folder that
       holds ``corpora/reuters/``;
    3. the NLTK corpus as an archive: ``reuters.zip`` (what
       ``nltk.download("reuters")`` saves) or ``reuters-aptemod-nltk.tar.xz``,
       given itself or found in ``path`` or ``path/corpora``.

    All layouts give the same documents, texts, labels and order.

    =================  ==========================
    Labels             90
    Samples            train 7,769 / test 3,019
    Label cardinality  train 1.234 / test 1.240
    Features           text (str)
    =================  ==========================

    Parameters
    ----------
    path : str or os.PathLike
        Folder or archive holding the data, as described above.

    subset : {"train", "test", "all"} or list of str, default="train"
        Which split to load. ``"all"`` concatenates train then test.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas Series named ``"text"``, ``target`` a
        DataFrame with one 0/1 column per category, and ``frame`` a DataFrame
        with both. Requires pandas.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : list of str of length n_samples
            The stories: title line, then body.
        target : ndarray of shape (n_samples, 90), dtype int64
            Label indicator matrix over ``target_names``.
        target_names : ndarray of shape (90,), dtype object
            The categories, sorted alphabetically (``"acq"`` ... ``"zinc"``).
        ids : ndarray of shape (n_samples,), dtype object
            NLTK file ids such as ``"training/1"`` or ``"test/14826"``;
            documents are ordered by split, then by NEWID.
        frame : pandas DataFrame of shape (n_samples, 91) or None
            Only with ``as_frame=True``: column ``"text"`` and the label columns.
        DESCR : str
            Description of the dataset: origin, licence, counts and citations.

    (data, target) : tuple if ``return_X_y`` is True
        The stories and the indicator matrix described above.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist or holds none of the layouts above; the
        message lists every file looked for and how to get the data.
    ValueError
        When ``subset`` is unknown or a file does not have the expected format.

    See Also
    --------
    load_goemotions : GoEmotions, bundled with mlkit.

    Examples
    --------
    >>> from mlkit.datasets import load_reuters
    >>> bunch = load_reuters("path/to/reuters21578")  # doctest: +SKIP
    >>> bunch.target.shape  # doctest: +SKIP
    (7769, 90)
    """
    loader = "load_reuters"
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"load_reuters expects path to be a str or os.PathLike pointing to a folder or "
            f"archive; got {type(path).__name__} {path!r}."
        )
    splits = _resolve_subset(subset, _REUTERS_SPLITS, loader)
    return_X_y = _check_flag(return_X_y, "return_X_y", loader)
    as_frame = _check_flag(as_frame, "as_frame", loader)
    if as_frame:
        _require_pandas(loader)

    path = Path(path).expanduser()
    kind, location = _locate_reuters(path)
    if kind == "jsonl":
        names, rows = _read_reuters_jsonl(location, splits)
    elif kind == "nltk":
        names, rows = _read_reuters_nltk_dir(location, splits)
    else:
        names, rows = _read_reuters_archive(location, splits)

    index = {name: j for j, name in enumerate(names)}
    label_lists = []
    for doc_id, _, labels in rows:
        unknown = [c for c in labels if c not in index]
        if unknown:
            raise ValueError(
                f"Document {doc_id!r} in {location} has categories {unknown} that the category "
                f"list does not hold ({len(names)} categories). The copy looks inconsistent."
            )
        label_lists.append([index[c] for c in labels])

    data = [text for _, text, _ in rows]
    target = _indicator(label_lists, len(names))
    ids = np.asarray([doc_id for doc_id, _, _ in rows], dtype=object)
    target_names = np.asarray(names, dtype=object)

    n_samples, cardinality = _label_stats(target)
    label = subset if isinstance(subset, str) else "+".join(splits)
    descr = _REUTERS_DESCR.format(
        subset=repr(label),
        n_samples=n_samples,
        cardinality=cardinality,
        source=f"{location} ({kind} layout)",
    )
    return _make_bunch(
        data=data,
        target=target,
        target_names=target_names,
        ids=ids,
        descr=descr,
        return_X_y=return_X_y,
        as_frame=as_frame,
        loader=loader,
    )
