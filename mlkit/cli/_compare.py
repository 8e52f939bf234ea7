"""``mlkit compare``: how two labelled splits differ (label shift, drift, leakage)."""

import argparse
import copy
import time

from ._console import EXIT_OK, CLIError
from ._options import _cv_folds, _data_options, _n_jobs, _positive_int, _seed
from ._paths import _check_outputs
from ._steps import _describe_dataset, _read_labelled


def _split_names(value):
    names = [n.strip() for n in value.split(",")]
    if len(names) != 2 or not all(names):
        raise argparse.ArgumentTypeError(f"expected two names separated by a comma, e.g. "
                                         f"train,dev; got {value!r}")
    return tuple(names)


def add_parser(sub, common):
    """The ``mlkit compare`` sub-command."""
    p = sub.add_parser(
        "compare", parents=[common], help="compare two labelled splits (label shift, drift)",
        description="Compare two labelled data files, e.g. train and test: per-label "
                    "prevalence shift, a drift score (a classifier two-sample test: its ROC-AUC, "
                    "0.5 = no drift), the test rows least like train, texts found in both "
                    "(leakage), text length and vocabulary shift, and alerts "
                    "(mlkit.insights.compare_splits).")
    p.add_argument("train", metavar="TRAIN", help="first labelled data file (e.g. train)")
    p.add_argument("test", metavar="TEST", help="second labelled data file (e.g. test or dev)")
    _data_options(p)
    p.add_argument("--names", type=_split_names, default=("train", "test"), metavar="A,B",
                   help="what to call the two splits in the output (default: train,test)")
    p.add_argument("--report", metavar="HTML", help="write the comparison as an HTML report")
    p.add_argument("--json", metavar="FILE", help="write the comparison as JSON")
    p.add_argument("--top", type=_positive_int, default=10, metavar="N",
                   help="rows of the second file least like the first to print (default: 10); "
                        "the report and JSON hold 50")
    p.add_argument("--cv", type=_cv_folds, default=5, metavar="N",
                   help="folds of the drift classifier (default: 5)")
    p.add_argument("--random-state", type=_seed, default=0, metavar="SEED")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N")
    p.set_defaults(func=run)


def _read(args, path, console):
    one = copy.copy(args)
    one.data = path
    return _read_labelled(one, console)


def run(args, console):
    from ..insights._compare import compare_splits

    if args.train == "-" and args.test == "-":
        raise CLIError("TRAIN and TEST cannot both be '-' (stdin); give at least one file.")
    _check_outputs({"TRAIN": args.train, "TEST": args.test},
                   {"--report": args.report, "--json": args.json})
    train = _read(args, args.train, console)
    test = _read(args, args.test, console)
    console.info(_describe_dataset(train))
    console.info(_describe_dataset(test))
    t0 = time.perf_counter()
    with console.spinner(f"comparing {len(train):,} and {len(test):,} rows"):
        result = compare_splits(train, test, split_names=args.names, cv=args.cv,
                                         random_state=args.random_state, n_jobs=args.n_jobs)
    console.info(f"compared in {time.perf_counter() - t0:.1f} s")
    print(result.summary())
    _print_unlike(result, args.top)
    if args.report:
        result.to_html(args.report)
        console.info(f"wrote {args.report}")
    if args.json:
        result.to_json(args.json)
        console.info(f"wrote {args.json}")
    return EXIT_OK


def _print_unlike(result, top):
    from ..insights._compare import ROW_NOTE

    a, b = result.split_names
    table = result.least_like_train(top)
    if not len(table):
        return
    print(f"\n{b} rows least like {a} ({len(table)}; {ROW_NOTE}):")
    out = table[["similarity_to_train", "testness"]].copy()
    out["labels"] = [", ".join(v) or "(none)" for v in table["labels"]]
    out["text"] = [_short(t, 60) for t in table["text"]]
    print(out.to_string(float_format=lambda v: f"{v:.3f}"))


def _short(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"
