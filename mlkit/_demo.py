"""``mlkit demo``: train the default model on GoEmotions and show what it does.

The demo loads the GoEmotions data bundled with mlkit, fits
``mlkit.make_classifier("tfidf")`` on the train split, prints the evaluation
on the test split (:func:`mlkit.metrics.evaluate`, :func:`mlkit.metrics.format_metrics`,
:func:`mlkit.metrics.per_label_report`) and a few test predictions with label
names. It needs only the core dependencies (no pandas, no torch).
"""

import argparse
import sys
import textwrap
import time

import numpy as np

__all__ = ["add_arguments", "main", "run"]

DESCRIPTION = (
    'Train mlkit.make_classifier("tfidf") on the bundled GoEmotions train split '
    "(43,410 Reddit comments, 28 labels), evaluate it on the test split and show "
    "a few predictions."
)


def _int_at_least(minimum):
    """argparse type: an integer >= ``minimum``."""

    def parse(value):
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {value!r}") from None
        return number

    return parse


def add_arguments(parser):
    """Add the demo's options to an argparse parser (``mlkit demo`` uses it)."""
    parser.add_argument(
        "--n-examples",
        type=_int_at_least(0),
        default=5,
        help="number of test predictions to show (default: 5)",
    )
    parser.add_argument(
        "--max-train",
        type=_int_at_least(1),
        default=None,
        help="train on the first N training texts only, for a quicker run (default: all)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed that picks which test predictions are shown (default: 0)",
    )
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="do not print the per-label report",
    )
    return parser


def _parser():
    return add_arguments(argparse.ArgumentParser(prog="mlkit demo", description=DESCRIPTION))


def _shorten(text, width):
    text = " ".join(text.split())
    return textwrap.shorten(text, width=width, placeholder=" ...") if len(text) > width else text


def _names(labels):
    return ", ".join(labels) if labels else "(none)"


def _thresholds(model):
    """The fitted per-label thresholds of ``model`` in the units of its scores.

    Returns ``(thresholds, units)``: probability units when the model's tuner maps
    its thresholds to probabilities, else the tuner's own score units; ``(None, None)``
    when the model has no tuner.
    """
    from mlkit.inference import find_threshold_tuner

    tuner = find_threshold_tuner(model)
    if tuner is None or not hasattr(tuner, "thresholds_"):
        return None, None
    if tuner.proba_thresholds_ is not None:
        return np.asarray(tuner.proba_thresholds_, dtype=float), "probability"
    return np.asarray(tuner.thresholds_, dtype=float), f"{tuner.response_method_} units"


def main(argv=None):
    """Run the demo and return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line options (see ``mlkit demo --help``); ``sys.argv[1:]``
        when None.

    Returns
    -------
    status : int
        0 on success.
    """
    return run(_parser().parse_args(argv))


def run(args, out=None):
    """Run the demo with parsed options (see :func:`add_arguments`).

    Returns
    -------
    status : int
        0 on success.
    """
    import mlkit
    from mlkit.datasets import load_goemotions

    out = sys.stdout if out is None else out
    print(
        f"mlkit {mlkit.__version__} demo: multi-label emotion tagging of Reddit comments", file=out
    )

    t0 = time.perf_counter()
    train = load_goemotions("train")
    test = load_goemotions("test")
    names = train.target_names
    X_train, Y_train = train.data, train.target
    if args.max_train is not None:
        X_train, Y_train = X_train[: args.max_train], Y_train[: args.max_train]
    # Label lists carry the names, so the fitted model's classes_ are emotion names.
    y_train = mlkit.indicator_to_labels(Y_train, names)
    y_test = mlkit.indicator_to_labels(test.target, names)
    print(
        f"GoEmotions: {len(X_train):,} training texts, {len(test.data):,} test texts, "
        f"{len(names)} labels (loaded in {time.perf_counter() - t0:.1f} s)",
        file=out,
    )

    model = mlkit.make_classifier("tfidf", verbose=True)
    print('\nmodel = mlkit.make_classifier("tfidf", verbose=True)  # progress bars on stderr',
          file=out)
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    fit_time = time.perf_counter() - t0
    print(f"fit on {len(X_train):,} texts: {fit_time:.1f} s", file=out)
    Y_pred, classes = _evaluate(model, test, names, args, out)
    if args.n_examples:
        _show_examples(test, Y_pred, classes, y_test, args, out)
    return 0


def _evaluate(model, test, names, args, out):
    """Predict the test split, print the metrics (and the per-label report); return the
    decisions and the model's label order."""
    # Ranking metrics need scores: probabilities when the model has them, else the
    # decision values its thresholds apply to (e.g. a linear SVM's margins). The
    # Predictor featurizes once and gives the model's own decisions with them.
    from mlkit.inference import Predictor
    from mlkit.metrics import evaluate, format_metrics, per_label_report

    t0 = time.perf_counter()
    predictor = Predictor(model)
    Y_pred, Y_score = predictor.predict(test.data)
    predict_time = time.perf_counter() - t0
    classes = model.classes_
    print(f"predict ({predictor.score_kind} scores) on {len(test.data):,} texts: "
          f"{predict_time:.1f} s", file=out)

    thresholds, units = _thresholds(model)
    if thresholds is not None:
        print(
            f"tuned decision thresholds, one per label ({units}): "
            f"{np.min(thresholds):.3f} to {np.max(thresholds):.3f}",
            file=out,
        )

    # Test labels in the model's column order. A label with no training example (possible
    # with a small --max-train) is not among classes_ and is left out of the evaluation.
    column = {str(name): j for j, name in enumerate(names)}
    Y_test = test.target[:, [column[str(name)] for name in classes]]
    missing = [str(name) for name in names if str(name) not in set(map(str, classes))]
    if missing:
        print(
            f"note: {len(missing)} label(s) have no training example and are left out of the "
            f"evaluation: {', '.join(missing)}",
            file=out,
        )

    metrics = evaluate(Y_test, Y_pred, Y_score, label_names=classes)
    print(f"\nEvaluation on the GoEmotions test split ({len(test.data):,} texts):", file=out)
    print(format_metrics(metrics), file=out)

    if not args.no_report:
        report = per_label_report(
            Y_test, Y_pred, label_names=classes, thresholds=thresholds, y_score=Y_score
        )
        print("\nPer-label report (sorted by F1, worst first):", file=out)
        print(report.to_string(sort_by="f1"), file=out)
    return Y_pred, classes


def _show_examples(test, Y_pred, classes, y_test, args, out):
    import mlkit

    rng = np.random.default_rng(args.random_state)
    n_show = min(args.n_examples, len(test.data))
    rows = np.sort(rng.choice(len(test.data), size=n_show, replace=False))
    predicted = mlkit.indicator_to_labels(Y_pred[rows], classes)
    print(f"\n{n_show} test predictions:", file=out)
    for i, row in enumerate(rows):
        print(f"  {_shorten(test.data[row], 76)!r}", file=out)
        print(f"      predicted: {_names(predicted[i])}", file=out)
        print(f"      true:      {_names(y_test[row])}", file=out)
