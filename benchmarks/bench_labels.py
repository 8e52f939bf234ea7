"""Benchmark of mlkit with thousands of labels: 500, 2,000 and 5,000.

The problem (reproducible, no randomness in its construction)
-------------------------------------------------------------
Texts: Reuters-21578 ApteMod (``reuters21578/aptemod_{train,test}.jsonl.gz``), the whole
document (title and body). Labels: **content-word pairs of the body**. Each body is
lower-cased and cut into alphabetic tokens of two letters or more (``[a-z][a-z]+``);
English stop words (scikit-learn's list) are dropped; every two consecutive remaining
tokens form a pair ("oil prices", "mln dlrs"). A document carries the pair as a label
when the pair occurs in its body. The label set is the ``L`` pairs found in the most
*training* documents (ties broken alphabetically), so the 500 labels are the first 500
of the 2,000, which are the first 2,000 of the 5,000. The fit uses the first
``--n-train`` training documents (4,000 by default); prediction, metrics and the
report use the 3,019 test documents; the audit uses the first ``--audit-rows``
training documents. At 5,000 labels the rarest label is in 8 of the 7,769 training
documents, and a training document carries about 17 labels.

Because a pair of adjacent words is often a word bigram of the TF-IDF features, many
labels are easy; the benchmark measures cost, not accuracy (the F1 figures are there to
show the models are real).

What is measured, for each label count
--------------------------------------
* **fit**: ``TfidfFeaturizer(max_features=10000)`` then
  ``ThresholdTuner(BinaryRelevance(LinearSVC()), cv=0.2, refit=False)`` (one LinearSVC per
  label, thresholds tuned on a 20 % held-out split), ``n_jobs=1``: seconds and peak RSS.
  This is cheaper than ``make_classifier("tfidf")`` (5-fold tuning and a refit: six fits
  per label, no feature cap): at 5,000 labels on 2 shared cores the default would take
  about half an hour. ``--default-cv-labels`` (500) also times the default 5-fold tuner
  at that label count, to give the factor.
* **model file**: ``save_model`` / ``load_model`` seconds and file size.
* **predict**: peak RSS above the loaded model while ``Predictor.predict`` runs over the
  test texts in batches of ``--batch-sizes`` (decisions kept sparse), next to
  ``batch x labels x 8`` bytes (one float64 score matrix per batch).
* **threshold tuning**: ``f1_optimal_thresholds``, ``global_threshold`` and
  ``SigmoidCalibrator.fit`` on the test scores (stand-ins for out-of-fold scores).
* **metrics**: ``evaluate`` and ``per_label_report`` on the test decisions and scores.
* **report**: ``render_report`` of the test predictions: seconds, peak RSS, page size.
* **audit**: ``insights.audit`` (3-fold, the fit's pipeline with a 3-fold tuner and a
  refit) on ``--audit-rows`` rows, then its tables and ``to_html``.

Peak RSS is the kernel's high-water mark of this process, reset before each stage
(``_bench_common.peak_rss_tracker``). Every run writes ``benchmarks/_out/labels/L.json``;
``--collect`` writes the table of ``benchmarks/RESULTS_labels.md`` from them. Run timed
runs one label count at a time under ``flock /tmp/mlkit-bench.lock``::

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_labels.py --labels 500
    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_labels.py --labels 2000
    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_labels.py --labels 5000
    .venv/bin/python benchmarks/bench_labels.py --collect
"""

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per stage: figures comparable across runs
if __name__ == "__main__" and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
    # a fixed mmap threshold: every large array is mapped and unmapped, so that a stage's
    # peak RSS is not hidden by memory an earlier stage freed but glibc kept (its dynamic
    # threshold would otherwise move large blocks onto the heap)
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(1 << 17)
    os.execv(sys.executable, [sys.executable, *sys.argv])

import argparse  # noqa: E402
import collections  # noqa: E402
import gzip  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
# measure this checkout's mlkit, whatever an editable install elsewhere points to
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench_common import OUT_DIR, machine_info, peak_rss_tracker  # noqa: E402

OUT = OUT_DIR / "labels"
RESULTS = Path(__file__).resolve().parent / "RESULTS_labels.md"
_TOKEN = re.compile(r"[a-z][a-z]+")


def log(msg):
    print(f"[bench_labels] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------- the problem


def _read(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def _pairs(text, stop):
    body = text.partition("\n")[2].lower()
    words = [w for w in _TOKEN.findall(body) if w not in stop]
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def _indicator(pair_sets, index):
    rows, cols = [], []
    for i, pairs in enumerate(pair_sets):
        js = [index[p] for p in pairs if p in index]
        rows += [i] * len(js)
        cols += js
    Y = sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)),
                      shape=(len(pair_sets), len(index)))
    return Y.toarray()


def build_problem(data_dir, n_labels):
    """Texts and word-pair labels of Reuters-21578 ApteMod (see the module docstring).

    Returns
    -------
    problem : dict
        ``train_texts``, ``test_texts``, ``Y_train``, ``Y_test`` (dense int64 0/1),
        ``label_names`` (the pairs, most frequent first).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    root = Path(data_dir) / "reuters21578"
    train = _read(root / "aptemod_train.jsonl.gz")
    test = _read(root / "aptemod_test.jsonl.gz")
    train_pairs = [_pairs(t, ENGLISH_STOP_WORDS) for t in train]
    test_pairs = [_pairs(t, ENGLISH_STOP_WORDS) for t in test]
    df = collections.Counter(p for pairs in train_pairs for p in pairs)
    names = sorted(df, key=lambda p: (-df[p], p))[:n_labels]
    if len(names) < n_labels:
        raise SystemExit(f"only {len(names)} word pairs in the training split")
    index = {p: j for j, p in enumerate(names)}
    return {"train_texts": train, "test_texts": test,
            "Y_train": _indicator(train_pairs, index), "Y_test": _indicator(test_pairs, index),
            "label_names": np.asarray(names, dtype=object),
            "min_train_df": int(df[names[-1]])}


# ---------------------------------------------------------------------------- stages


def _rss_kb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stage:
    """Wall time and peak RSS (MB above the RSS at the start) of a ``with`` block.

    The peak is the larger of the kernel's high-water mark (reset at the start) and
    the largest RSS seen by a thread that reads ``VmRSS`` every 2 ms: the kernel
    updates its mark lazily, so a short-lived array freed before the end of the
    stage can be missed by the mark alone.
    """

    def __init__(self, results, name):
        self.results, self.name = results, name

    def _sample(self):
        while not self.done.wait(0.002):
            self.max_kb = max(self.max_kb, _rss_kb())

    def __enter__(self):
        import threading

        self.tracker = peak_rss_tracker()
        self.base_kb = _rss_kb()
        self.max_kb = self.base_kb
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self.t0
        self.max_kb = max(self.max_kb, _rss_kb())
        self.done.set()
        self.thread.join()
        if exc[0] is None:
            peak = max(self.tracker.peak_mb(), (self.max_kb - self.base_kb) / 1024.0)
            self.results[self.name] = {"seconds": round(seconds, 3), "peak_mb": round(peak, 1)}
            log(f"  {self.name}: {seconds:.1f} s, peak +{peak:.0f} MB")


def make_model(max_features, cv, refit, random_state=0):
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    import mlkit

    return Pipeline([
        ("features", mlkit.TfidfFeaturizer(max_features=max_features)),
        ("classifier", mlkit.ThresholdTuner(mlkit.BinaryRelevance(LinearSVC(), n_jobs=1),
                                            cv=cv, refit=refit, random_state=random_state)),
    ])


def _fit_stages(res, prob, args, n_labels):
    from mlkit.metrics import f1_score
    from mlkit.model_selection import MultilabelStratifiedShuffleSplit

    texts, Y = prob["train_texts"][:args.n_train], prob["Y_train"][:args.n_train]
    model = make_model(args.max_features, 0.2, False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # labels absent from the 80 % split: constant models
        with Stage(res, "split"):  # the tuner's held-out split, alone (part of the fit)
            next(MultilabelStratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
                 .split(np.zeros((len(Y), 1)), Y))
        with Stage(res, "fit"):
            model.fit(texts, Y)
        if n_labels in args.default_cv_labels:
            with Stage(res, "fit_default_cv5_refit"):
                make_model(args.max_features, 5, True).fit(texts, Y)
    res["n_features"] = int(model.named_steps["features"].transform(texts[:1]).shape[1])
    res["test_f1_micro"] = round(float(f1_score(prob["Y_test"], model.predict(prob["test_texts"]),
                                                average="micro")), 4)
    return model


def _file_stages(res, model, label_names):
    from mlkit.persistence import load_model, save_model

    with tempfile.TemporaryDirectory(prefix="mlkit-bench-labels-") as tmp:
        path = Path(tmp) / "model.mlkit"
        with Stage(res, "save"):
            save_model(model, path, label_names=list(label_names))
        res["model_file_mb"] = round(path.stat().st_size / 1e6, 1)
        with Stage(res, "load"):
            loaded = load_model(path)
    return loaded


def _predict_stages(res, model, prob, args):
    from mlkit.inference import Predictor

    predictor = Predictor(model, list(prob["label_names"]))
    sparse_ok = "sparse" in inspect.signature(predictor.predict).parameters
    texts = prob["test_texts"]
    L = prob["Y_test"].shape[1]
    res["predict"] = {}
    for batch in args.batch_sizes:
        part = {}
        with Stage(part, "run"):
            decided = []
            kw = {"sparse": True} if sparse_ok else {}
            for start in range(0, len(texts), batch):
                D, _ = predictor.predict(texts[start:start + batch], **kw)
                decided.append(D if sp.issparse(D) else sp.csr_matrix(D))
                del D, _
            sp.vstack(decided)
            del decided
        # the same batches under tracemalloc: exact peak of the arrays Python allocates
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        for start in range(0, len(texts), batch):
            D, _ = predictor.predict(texts[start:start + batch], **kw)
            del D, _
        part["run"]["traced_peak_mb"] = round((tracemalloc.get_traced_memory()[1] - base) / 1e6,
                                              1)
        tracemalloc.stop()
        part["run"]["scores_mb"] = round(min(batch, len(texts)) * L * 8 / 1e6, 1)
        part["run"]["texts_per_s"] = round(len(texts) / part["run"]["seconds"], 1)
        res["predict"][str(batch)] = part["run"]
    return predictor.predict(texts)


def _evaluation_stages(res, prob, D, S, model):
    from mlkit.inference import find_threshold_tuner
    from mlkit.metrics import evaluate, per_label_report
    from mlkit.report import render_report
    from mlkit.thresholds import SigmoidCalibrator, f1_optimal_thresholds, global_threshold

    Y, names = prob["Y_test"], list(prob["label_names"])
    with Stage(res, "threshold_tuning"):
        f1_optimal_thresholds(Y, S)
        global_threshold(Y, S)
        SigmoidCalibrator().fit(S, Y)
    with Stage(res, "metrics_evaluate"):
        res["test_metrics"] = {k: round(float(v), 4) for k, v in evaluate(Y, D, S).items()}
    with Stage(res, "metrics_per_label_report"):
        per_label_report(Y, D, label_names=names, y_score=S)
    tuner = find_threshold_tuner(model)
    with Stage(res, "report"):
        page = render_report(prob["test_texts"], Y, D, S, label_names=names,
                             thresholds=tuner.proba_thresholds_)
    res["report_mb"] = round(len(page.encode("utf-8")) / 1e6, 2)


def _audit_stages(res, prob, args):
    from mlkit.insights import audit

    n = args.audit_rows
    texts, Y = prob["train_texts"][:n], prob["Y_train"][:n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Stage(res, "audit"):
            result = audit(make_model(args.max_features, 3, True), texts, Y,
                           label_names=prob["label_names"], cv=3)
    with Stage(res, "audit_tables"):
        result.label_health  # noqa: B018
        result.overlap  # noqa: B018
        result.cooccurrence_pairs  # noqa: B018
        result.label_issues  # noqa: B018
        result.summary()
    with tempfile.TemporaryDirectory(prefix="mlkit-bench-labels-") as tmp:
        path = Path(tmp) / "audit.html"
        with Stage(res, "audit_html"):
            result.to_html(path)
        res["audit_html_mb"] = round(path.stat().st_size / 1e6, 2)


def run(args, n_labels, save):
    """All stages at ``n_labels``; ``save(res)`` after each group (a cut run keeps them)."""
    log(f"{n_labels} labels: building the problem")
    prob = build_problem(args.data_dir, n_labels)
    res = {"n_labels": n_labels, "n_train": args.n_train, "n_test": len(prob["test_texts"]),
           "audit_rows": args.audit_rows, "max_features": args.max_features,
           "min_train_df": prob["min_train_df"],
           "train_cardinality": round(float(prob["Y_train"].sum(axis=1).mean()), 2)}
    model = _fit_stages(res, prob, args, n_labels)
    save(res)
    if args.predict_only:
        _predict_stages(res, model, prob, args)
        save(res)
        return res
    model = _file_stages(res, model, prob["label_names"])
    save(res)
    D, S = _predict_stages(res, model, prob, args)
    save(res)
    _evaluation_stages(res, prob, D, S, model)
    save(res)
    del model, D, S
    if args.audit_rows:
        _audit_stages(res, prob, args)
    save(res)
    return res


# --------------------------------------------------------------------------- results


def _row(r):
    p = r["predict"]
    batches = sorted(p, key=int)
    pred = " / ".join(f"{p[b]['peak_mb']:.0f}" for b in batches)
    return (f"| {r['n_labels']:,} | {r['fit']['seconds']:.0f} ({r['split']['seconds']:.0f}) | "
            f"{1000 * r['fit']['seconds'] / r['n_labels']:.1f} | {r['fit']['peak_mb']:.0f} | "
            f"{r['model_file_mb']:.0f} | {r['save']['seconds']:.1f} / {r['load']['seconds']:.1f} | "
            f"{pred} | {r['threshold_tuning']['seconds']:.1f} / "
            f"{r['threshold_tuning']['peak_mb']:.0f} | "
            f"{r['metrics_evaluate']['seconds'] + r['metrics_per_label_report']['seconds']:.1f} / "
            f"{max(r['metrics_evaluate']['peak_mb'], r['metrics_per_label_report']['peak_mb']):.0f}"
            f" | {r['report']['seconds']:.1f} / {r['report']['peak_mb']:.0f} / "
            f"{r['report_mb']:.1f} | "
            + (f"{r['audit']['seconds']:.0f} / {r['audit']['peak_mb']:.0f} / "
               f"{r['audit_tables']['seconds'] + r['audit_html']['seconds']:.1f} / "
               f"{r['audit_html_mb']:.2f} |" if "audit" in r else "- |"))


def collect():
    runs = sorted((json.loads(p.read_text()) for p in OUT.glob("[0-9]*[0-9].json")),
                  key=lambda r: r["n_labels"])
    for r in runs:  # a later prediction-only run (with the RSS sampler) replaces the stage
        extra = OUT / f"{r['n_labels']}_predict.json"
        if extra.exists():
            r["predict"] = json.loads(extra.read_text())["predict"]
    if not runs:
        raise SystemExit(f"no results in {OUT}; run the benchmark first")
    batches = sorted(runs[0]["predict"], key=int)
    lines = [
        "| labels | fit s (of which split s) | fit ms per label | fit peak MB | model file MB | save / load s | "
        f"predict peak MB at batch {' / '.join(batches)} | tuning s / MB | metrics s / MB | "
        "report s / MB / file MB | audit s / MB / tables+html s / html MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(r) for r in runs]
    table = "\n".join(lines)
    print(table)
    return runs, table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--data-dir", default=os.environ.get("MLKIT_DATA_DIR", "/work/shared/data"))
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--max-features", type=int, default=10000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1000, 3019])
    parser.add_argument("--audit-rows", type=int, default=1000)
    parser.add_argument("--default-cv-labels", type=int, nargs="*", default=[500])
    parser.add_argument("--predict-only", action="store_true",
                        help="fit, then only the prediction stages (saved as L_predict.json)")
    parser.add_argument("--collect", action="store_true",
                        help="print the results table from benchmarks/_out/labels/*.json")
    args = parser.parse_args(argv)
    if args.collect:
        collect()
        return
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    command = "python benchmarks/bench_labels.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    for n_labels in args.labels:
        def save(res, n_labels=n_labels):
            name = f"{n_labels}_predict" if args.predict_only else str(n_labels)
            (OUT / f"{name}.json").write_text(
                json.dumps({**res, "machine": info, "command": command}, indent=1))

        run(args, n_labels, save)


if __name__ == "__main__":
    main()
