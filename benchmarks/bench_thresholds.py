"""How ThresholdTuner chooses the thresholds of rare labels (issue 15, item 3).

The candidates are decision rules of :class:`mlkit.ThresholdTuner` (its real code: the
tuner runs with ``cv="prefit"`` on cached scores), applied to the decision values of the
``make_classifier("tfidf")`` classifier, ``BinaryRelevance(LinearSVC(C=0.5, tol=0.1))`` on
``TfidfFeaturizer()`` features. Every choice is judged on held-out data of the training
split only:

* Reuters-21578 ApteMod (train only; 90 labels, 20 of them with fewer than 5 training
  positives): nested folds. The training split is cut into 5 stratified outer folds; for
  each, the rule is chosen on the 5-fold out-of-fold scores of the other four fifths and
  applied to the scores that a model fitted on those four fifths gives the held-out fifth.
  The macro- and micro-F1 are those of the pooled held-out decisions (every training row
  is judged once), averaged over ``--reps`` draws of the inner folds.
* GoEmotions (28 labels): the rule is chosen on the 5-fold out-of-fold scores of train and
  applied to the dev scores of the model fitted on all of train; averaged over the draws.

``--final`` then fits ``make_classifier("tfidf")`` on each training split and reports its
test figures with the default rule (``fallback="global"``) and with ``fallback="prevalence"``.

Commands (scores are cached under ``--cache-dir``, so a second run takes seconds)::

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_thresholds.py \\
        --data-dir /work/shared/data
    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_thresholds.py \\
        --data-dir /work/shared/data --final
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import OUT_DIR, _indicator, _read_goemotions, f1, load_dataset  # noqa: E402

# name -> ThresholdTuner parameters (the tuner's other parameters keep their defaults)
CANDIDATES = {
    "fallback global, shrinkage 1 (mlkit 0.2)": dict(fallback="global", shrinkage=1.0),
    "fallback global, shrinkage 0": dict(fallback="global", shrinkage=0.0),
    "fallback global, shrinkage 3": dict(fallback="global", shrinkage=3.0),
    "fallback global, shrinkage 10": dict(fallback="global", shrinkage=10.0),
    "fallback prevalence, shrinkage 0": dict(fallback="prevalence", shrinkage=0.0),
    "fallback prevalence, shrinkage 1": dict(fallback="prevalence"),
    "fallback prevalence, shrinkage 3": dict(fallback="prevalence", shrinkage=3.0),
    "fallback prevalence, shrinkage 1, min_positives 5": dict(fallback="prevalence",
                                                               min_positives=5),
}
# the --final comparison on the test splits: the new default against the rule of mlkit 0.2
FINAL = {
    "default (fallback='global', shrinkage=1)": {},
    "fallback='prevalence', shrinkage=1": dict(fallback="prevalence"),
}


class _Scores(BaseEstimator):
    """A 'fitted' estimator whose decision values are its input (cached scores)."""

    def fit(self, X, Y):
        self.fitted_ = True
        return self

    def decision_function(self, X):
        return np.asarray(X)


def _decide(params, Y_tune, S_tune, S_eval):
    from mlkit import ThresholdTuner

    tuner = ThresholdTuner(_Scores().fit(None, None), cv="prefit", **params)
    return tuner.fit(S_tune, Y_tune).predict(S_eval)


def _model():
    from sklearn.svm import LinearSVC

    from mlkit import BinaryRelevance

    return BinaryRelevance(LinearSVC(C=0.5, tol=0.1, random_state=0))


def _oof(X, Y, seed):
    from mlkit.model_selection import MultilabelStratifiedKFold

    S = np.zeros(Y.shape)
    folds = MultilabelStratifiedKFold(5, shuffle=True, random_state=seed)
    for tr, te in folds.split(np.zeros((Y.shape[0], 1)), Y):
        S[te] = _model().fit(X[tr], Y[tr]).decision_function(X[te])
    return S


def _features(texts_fit, *others):
    from mlkit import TfidfFeaturizer

    fz = TfidfFeaturizer()
    return [sp.csr_matrix(fz.fit_transform(texts_fit))] + [sp.csr_matrix(fz.transform(t))
                                                            for t in others]


def reuters_scores(data_dir, cache, reps, log):
    path = cache / f"reuters_nested_r{reps}.npz"
    if path.exists():
        return dict(np.load(path))
    from mlkit.model_selection import MultilabelStratifiedKFold

    d = load_dataset("reuters", data_dir)
    (X,) = _features(d["train_texts"])
    Y = d["Y_train"]
    out = {"Y": Y}
    outer = MultilabelStratifiedKFold(5, shuffle=True, random_state=7)
    for k, (tr, te) in enumerate(outer.split(np.zeros((Y.shape[0], 1)), Y)):
        out[f"tr{k}"], out[f"te{k}"] = tr, te
        out[f"held{k}"] = _model().fit(X[tr], Y[tr]).decision_function(X[te])
        for r in range(reps):
            out[f"oof{k}_{r}"] = _oof(X[tr], Y[tr], 100 * k + r)
        log(f"[reuters] outer fold {k + 1}/5 scored")
    np.savez(path, **out)
    return out


def goemotions_scores(data_dir, cache, reps, log):
    path = cache / f"goemotions_dev_r{reps}.npz"
    if path.exists():
        return dict(np.load(path))
    root = Path(data_dir) / "goemotions"
    tr_texts, tr_labels = _read_goemotions(root / "train.tsv.gz")
    dv_texts, dv_labels = _read_goemotions(root / "dev.tsv.gz")
    index = {j: j for j in range(len((root / "emotions.txt").read_text().split()))}
    Y, Y_dev = _indicator(tr_labels, index), _indicator(dv_labels, index)
    X, X_dev = _features(tr_texts, dv_texts)
    out = {"Y": Y, "Y_dev": Y_dev, "dev": _model().fit(X, Y).decision_function(X_dev)}
    for r in range(reps):
        out[f"oof{r}"] = _oof(X, Y, r)
        log(f"[goemotions] out-of-fold draw {r + 1}/{reps} scored")
    np.savez(path, **out)
    return out


def judge(params, reuters, goemotions, reps):
    rows = []
    for r in range(reps):
        Y = reuters["Y"]
        D = np.zeros_like(Y)
        for k in range(5):
            tr, te = reuters[f"tr{k}"], reuters[f"te{k}"]
            D[te] = _decide(params, Y[tr], reuters[f"oof{k}_{r}"], reuters[f"held{k}"])
        Dg = _decide(params, goemotions["Y"], goemotions[f"oof{r}"], goemotions["dev"])
        rows.append([f1(Y, D, "macro"), f1(Y, D, "micro"),
                     f1(goemotions["Y_dev"], Dg, "macro"), f1(goemotions["Y_dev"], Dg, "micro")])
    return np.mean(rows, axis=0)


def final(data_dir, log):
    from mlkit import make_classifier

    print("\n| test split | rule | macro-F1 | micro-F1 | fit (s) |\n|---|---|---|---|---|")
    for name in ("reuters", "goemotions"):
        d = load_dataset(name, data_dir)
        for rule, params in FINAL.items():
            model = make_classifier("tfidf", random_state=0)
            model.set_params(**{f"classifier__{k}": v for k, v in params.items()})
            start = time.perf_counter()
            model.fit(d["train_texts"], d["Y_train"])
            seconds = time.perf_counter() - start
            P = model.predict(d["test_texts"])
            print(f"| {name} | {rule} | {f1(d['Y_test'], P, 'macro'):.4f} | "
                  f"{f1(d['Y_test'], P, 'micro'):.4f} | {seconds:.0f} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="/work/shared/data")
    parser.add_argument("--cache-dir", default=str(OUT_DIR / "thresholds"))
    parser.add_argument("--reps", type=int, default=3, help="draws of the inner folds")
    parser.add_argument("--final", action="store_true", help="also the test figures")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*single class.*")
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    reuters = reuters_scores(args.data_dir, cache, args.reps, log)
    goemotions = goemotions_scores(args.data_dir, cache, args.reps, log)
    print("| rule (ThresholdTuner parameters) | Reuters nested macro-F1 | micro-F1 "
          "| GoEmotions dev macro-F1 | micro-F1 |\n|---|---|---|---|---|")
    for name, params in CANDIDATES.items():
        row = judge(params, reuters, goemotions, args.reps)
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in row) + " |", flush=True)
    if args.final:
        final(args.data_dir, log)


if __name__ == "__main__":
    main()
