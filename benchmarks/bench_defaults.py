"""How the default of ``make_classifier("tfidf")`` was chosen: candidates on dev data.

Each candidate is ``make_classifier("tfidf")`` with a few parameters changed
(``set_params``), fitted on raw texts -- featurization, the out-of-fold fits of
threshold tuning and the refit, all timed together (wall and CPU seconds of the
process, every thread included) -- and scored on data that is never a test split:

* GoEmotions: fitted on train, scored on the official dev split
  (``--train-rows`` fits on the first rows of train only, to check that a
  choice holds on a small training set too);
* Reuters-21578 ApteMod: ``--reuters-folds`` multi-label stratified folds of the
  training split (fit on the others, score on each; the mean is reported).

``--label-names`` fits on a DataFrame whose columns are the label names (as
``mlkit train`` does), so that ``make_classifier("tfidf")`` can give its rare
labels their name as a training text (``name_examples_below``, the ``names*``
candidates); without it the labels are an indicator matrix, which has no names.

The test splits are used only by ``--test``, which fits the candidates named in
``--candidates`` on train and reports test, once, after the choice was made::

    .venv/bin/python benchmarks/bench_defaults.py --dataset goemotions
    .venv/bin/python benchmarks/bench_defaults.py --dataset reuters --candidates v0.2,new
    .venv/bin/python benchmarks/bench_defaults.py --dataset all --candidates v0.2,new --test

On a shared machine compare CPU seconds; wall seconds need a quiet machine. CPU
seconds count the threads of this process, not worker processes: with ``n_jobs=2``
(``maxdf.05-2par``) compare wall seconds, on a quiet machine.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_common as common  # noqa: E402
import numpy as np  # noqa: E402

# name -> (description, set_params of make_classifier("tfidf")). Every candidate
# states every parameter under study, so that it does not depend on the defaults.
_OLD = {"features__char_max_df": None, "classifier__cv": 5, "classifier__refit": True,
        "classifier__estimator__n_jobs": 1, "classifier__candidate_params": None,
        "classifier__estimator__estimator__C": 0.5, "name_examples_below": 0}
_C = "classifier__estimator__estimator__C"
CANDIDATES = {
    "v0.2": ("the default until 0.2: char_wb 2-5-grams, 5 folds, one label at a time", _OLD),
    "par": ("v0.2 with the labels fitted in one process per CPU (n_jobs=None)",
            {**_OLD, "classifier__estimator__n_jobs": None}),
    "maxdf.05-par": ("char_max_df=0.05, processes",
                     {**_OLD, "features__char_max_df": 0.05, "classifier__estimator__n_jobs": None}),
    "maxdf.05-par-C.2": ("char_max_df=0.05, processes, C=0.2",
                         {**_OLD, "features__char_max_df": 0.05,
                          "classifier__estimator__n_jobs": None, _C: 0.2}),
    "maxdf.05-par-C.5|.2": ("char_max_df=0.05, processes, C in (0.5, 0.2) chosen on the first fold",
                            {**_OLD, "features__char_max_df": 0.05,
                             "classifier__estimator__n_jobs": None,
                             "classifier__candidate_params": [{"estimator__C": 0.5},
                                                              {"estimator__C": 0.2}]}),
    "char3-5": ("char_wb 3-5-grams (GoEmotions only: sets the range explicitly)",
                {**_OLD, "features__char_ngram_range": (3, 5)}),
    "maxdf.10": ("char n-grams in > 10 % of texts dropped", {**_OLD, "features__char_max_df": 0.1}),
    "maxdf.05": ("char n-grams in > 5 % of texts dropped", {**_OLD, "features__char_max_df": 0.05}),
    "maxdf.02": ("char n-grams in > 2 % of texts dropped", {**_OLD, "features__char_max_df": 0.02}),
    "cv3": ("5 -> 3 folds", {**_OLD, "classifier__cv": 3}),
    "maxdf.05-cv3": ("char_max_df=0.05 and 3 folds",
                     {**_OLD, "features__char_max_df": 0.05, "classifier__cv": 3}),
    "maxdf.05-2par": ("char_max_df=0.05, two labels at a time (n_jobs=2)",
                      {**_OLD, "features__char_max_df": 0.05, "classifier__estimator__n_jobs": 2}),
    "2par": ("two labels at a time (n_jobs=2), 5 folds",
             {**_OLD, "classifier__estimator__n_jobs": 2}),
    "cv3-2par": ("3 folds, two labels at a time (n_jobs=2)",
                 {**_OLD, "classifier__cv": 3, "classifier__estimator__n_jobs": 2}),
    "new": ("make_classifier('tfidf') as it is now", {}),
    "C-choice": ("the default before cv='auto': C chosen, 5 folds and a refit",
                 {"classifier__cv": 5, "classifier__refit": True}),
    "C-choice-cv4": ("the same with 4 folds", {"classifier__cv": 4, "classifier__refit": True}),
    "C-choice-cv3": ("the same with 3 folds", {"classifier__cv": 3, "classifier__refit": True}),
    "C-choice-avg": ("5 folds, fold models averaged",
                     {"classifier__cv": 5, "classifier__refit": "average"}),
    "C-choice-cv3-avg": ("3 folds, fold models averaged (the default when every label has "
                         ">= 50 examples)", {"classifier__cv": 3, "classifier__refit": "average"}),
    "names0": ("no label-name rows (the default before name_examples_below)",
               {"name_examples_below": 0}),
    "names10": ("labels with < 10 positives get their name as a text (--label-names)",
                {"name_examples_below": 10}),
    "names20": ("the same below 20 (the default)", {"name_examples_below": 20}),
    "names50": ("the same below 50", {"name_examples_below": 50}),
}


def _read_split(path, dataset):
    if dataset == "goemotions":
        return common._read_goemotions(path)
    return common._read_reuters(path)


def _goemotions(data_dir, train_rows, test):
    root = Path(data_dir) / "goemotions"
    index = {j: j for j in range(len((root / "emotions.txt").read_text().split()))}
    tr_t, tr_l = _read_split(root / "train.tsv.gz", "goemotions")
    ev_t, ev_l = _read_split(root / ("test.tsv.gz" if test else "dev.tsv.gz"), "goemotions")
    if train_rows:
        tr_t, tr_l = tr_t[:train_rows], tr_l[:train_rows]
    yield tr_t, common._indicator(tr_l, index), ev_t, common._indicator(ev_l, index)


def _reuters(data_dir, n_folds, test):
    from mlkit.model_selection import MultilabelStratifiedKFold

    root = Path(data_dir) / "reuters21578"
    index = {n: j for j, n in enumerate((root / "aptemod_categories.txt").read_text().split())}
    tr_t, tr_l = _read_split(root / "aptemod_train.jsonl.gz", "reuters")
    Y = common._indicator(tr_l, index)
    if test:
        te_t, te_l = _read_split(root / "aptemod_test.jsonl.gz", "reuters")
        yield tr_t, Y, te_t, common._indicator(te_l, index)
        return
    texts = np.asarray(tr_t, dtype=object)
    for fit_rows, eval_rows in MultilabelStratifiedKFold(n_folds, shuffle=True,
                                                         random_state=0).split(texts, Y):
        yield list(texts[fit_rows]), Y[fit_rows], list(texts[eval_rows]), Y[eval_rows]


def _frequent(split, n):
    """The split with only the labels that have at least ``n`` positive fitting rows."""
    X, Y, X_eval, Y_eval = split
    keep = np.asarray(Y).sum(axis=0) >= n
    print(f"  {int(keep.sum())} of {keep.size} labels have >= {n} positives", flush=True)
    Y = Y.loc[:, keep] if hasattr(Y, "loc") else np.asarray(Y)[:, keep]
    return X, Y, X_eval, np.asarray(Y_eval)[:, keep]


def _label_names(data_dir, dataset):
    root = Path(data_dir)
    if dataset == "goemotions":
        return (root / "goemotions" / "emotions.txt").read_text().split()
    return (root / "reuters21578" / "aptemod_categories.txt").read_text().split()


def _with_names(split, names):
    """The split with its fitting labels as a DataFrame whose columns are the label names."""
    import pandas as pd

    X, Y, X_eval, Y_eval = split
    return X, pd.DataFrame(np.asarray(Y), columns=list(names)), X_eval, Y_eval


def run_candidate(params, X, Y, X_eval, Y_eval, random_state=0):
    """Fit one candidate; its fit seconds (wall, CPU) and scores on the evaluation rows."""
    from mlkit import make_classifier

    model = make_classifier("tfidf", random_state=random_state).set_params(**params)
    w0, c0 = time.perf_counter(), time.process_time()
    model.fit(X, Y)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    pred = np.asarray(model.predict(X_eval))
    feats = model.named_steps["features"]
    Xf = feats.transform(X_eval[:2000])
    tuner = model.named_steps["classifier"]
    return {"fit_wall_s": wall, "fit_cpu_s": cpu, "C": tuner.estimator_.estimator.C,
            "macro_f1": common.f1(Y_eval, pred, "macro"),
            "micro_f1": common.f1(Y_eval, pred, "micro"),
            "n_features": int(feats.n_features_out_), "nnz_per_row": Xf.nnz / Xf.shape[0],
            "name_rows": len(getattr(model, "name_examples_", []))}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="goemotions", choices=("goemotions", "reuters", "all"))
    p.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    p.add_argument("--candidates", default=",".join(c for c in CANDIDATES if c != "new"),
                   help=f"comma-separated, from {', '.join(CANDIDATES)}")
    p.add_argument("--train-rows", type=int, default=0, help="GoEmotions: first rows of train")
    p.add_argument("--frequent-labels", type=int, default=0, metavar="N",
                   help="keep only the labels with at least N positives in each split's "
                        "fitting rows (a dataset whose labels are all well populated)")
    p.add_argument("--label-names", action="store_true",
                   help="fit on a DataFrame of named label columns (see name_examples_below)")
    p.add_argument("--reuters-folds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=1, help="rounds, candidates interleaved")
    p.add_argument("--random-state", type=int, default=0,
                   help="make_classifier's random_state (folds and LIBLINEAR's shuffling)")
    p.add_argument("--test", action="store_true", help="train -> test (report only)")
    p.add_argument("--json", type=Path, help="also write the rows here")
    args = p.parse_args(argv)
    names = args.candidates.split(",")
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        p.error(f"unknown candidate(s) {unknown}; choose from {list(CANDIDATES)}")
    datasets = ("goemotions", "reuters") if args.dataset == "all" else (args.dataset,)
    print(f"command: {' '.join(sys.argv)}")
    print(f"machine: {json.dumps(common.machine_info())}")
    rows = []
    for dataset in datasets:
        splits = (list(_goemotions(args.data_dir, args.train_rows, args.test))
                  if dataset == "goemotions"
                  else list(_reuters(args.data_dir, args.reuters_folds, args.test)))
        if args.label_names:
            names_ = _label_names(args.data_dir, dataset)
            splits = [_with_names(s, names_) for s in splits]
        if args.frequent_labels:
            splits = [_frequent(s, args.frequent_labels) for s in splits]
        for rnd in range(args.repeats):
            for name in names:
                per_fold = [run_candidate(CANDIDATES[name][1], *s,
                                          random_state=args.random_state) for s in splits]
                row = {k: float(np.mean([f[k] for f in per_fold])) for k in per_fold[0]}
                row.update(dataset=dataset, candidate=name, round=rnd, folds=len(splits))
                rows.append(row)
                print(f"{dataset:10s} {name:14s} round {rnd}: macro-F1 {row['macro_f1']:.4f} "
                      f"micro-F1 {row['micro_f1']:.4f} fit wall {row['fit_wall_s']:6.1f} s "
                      f"CPU {row['fit_cpu_s']:6.1f} s  features {row['n_features']:.0f} "
                      f"nnz/row {row['nnz_per_row']:.0f} C {row['C']:.2f} name rows {row['name_rows']:.1f}",
                      flush=True)
    split = "test" if args.test else "dev (GoEmotions) / folds of train (Reuters)"
    print(f"\n| dataset | candidate | what | macro-F1 | micro-F1 | fit wall s | fit CPU s | "
          f"nnz/row | C used (mean) |  <- {split}, mean of {args.repeats} round(s)")
    print("|---|---|---|---|---|---|---|---|---|")
    for dataset in datasets:
        for name in names:
            rs = [r for r in rows if r["dataset"] == dataset and r["candidate"] == name]
            m = {k: np.mean([r[k] for r in rs]) for k in ("macro_f1", "micro_f1", "fit_wall_s",
                                                          "fit_cpu_s", "nnz_per_row", "C")}
            print(f"| {dataset} | {name} | {CANDIDATES[name][0]} | {m['macro_f1']:.4f} | "
                  f"{m['micro_f1']:.4f} | {m['fit_wall_s']:.1f} | {m['fit_cpu_s']:.1f} | "
                  f"{m['nnz_per_row']:.0f} | {m['C']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
