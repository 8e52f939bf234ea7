"""The ``mlkit`` command line: train, evaluate, predict, serve, inspect, info, demo.

Run ``mlkit --help`` or ``mlkit COMMAND --help``; docs/cli.md has examples.

Conventions: results (tables, predictions written to stdout) go to stdout;
progress, notes and warnings go to stderr, and progress is shown only when
stderr is a terminal. Bad input (a missing or empty file, an unknown column,
bytes that are not text, a label value other than 0/1, a model file from
another program or a newer format, a bad option) prints one line
``mlkit COMMAND: error: ...`` on stderr and exits with status 2; ``--debug``
shows the traceback instead. A missing optional dependency exits with 1, an
interrupt with 130.
"""

import argparse
import contextlib
import inspect
import json
import os
import sys
import threading
import time
import traceback
import warnings

import numpy as np

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class CLIError(Exception):
    """A user error found by the command line itself (exit status 2)."""


# --------------------------------------------------------------------------
# output helpers
# --------------------------------------------------------------------------


class _Console:
    """Where notes, warnings and progress go (stderr), and whether to show them."""

    def __init__(self, quiet=False, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        try:
            self.tty = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        except (AttributeError, ValueError):
            self.tty = False
        self._line = False

    def info(self, message):
        if not self.quiet:
            self.clear()
            print(message, file=self.stream, flush=True)

    def warn(self, message):
        self.clear()
        print(f"mlkit: warning: {message}", file=self.stream, flush=True)

    def status(self, message):
        """Overwrite the progress line (terminal only)."""
        if self.tty and not self.quiet:
            width = 100
            self.stream.write("\r" + message[:width].ljust(width))
            self.stream.flush()
            self._line = True

    def clear(self):
        if self._line:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
            self._line = False

    @contextlib.contextmanager
    def spinner(self, message):
        """Show ``message`` with the elapsed time while the block runs (terminal only)."""
        if not (self.tty and not self.quiet):
            yield
            return
        stop = threading.Event()
        start = time.perf_counter()

        def tick():
            frames = "|/-\\"
            i = 0
            while not stop.wait(0.25):
                self.status(f"{frames[i % 4]} {message} {time.perf_counter() - start:.0f} s")
                i += 1

        thread = threading.Thread(target=tick, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.clear()


def _progress_bar(console, done, n_bytes, total, started):
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    if total:
        frac = min(n_bytes / total, 1.0)
        bar = "#" * int(frac * 30)
        console.status(f"[{bar:<30}] {frac:5.1%}  {done:,} rows  {rate:,.0f} rows/s")
    else:
        console.status(f"{done:,} rows  {rate:,.0f} rows/s")


def _fmt_size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _shown(values, limit=10):
    values = [str(v) for v in values]
    text = ", ".join(values[:limit])
    return text + (f", ... ({len(values)} in all)" if len(values) > limit else "")


# --------------------------------------------------------------------------
# argument parsing
# --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _cv_folds(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 2:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2 (folds), got {value!r}")
    return number


def _fraction(value):
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value!r}")
    return number


def _probability(value):
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {value!r}")
    return number


def _port(value):
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in 0..65535, got {value!r}")
    return number


def _common_options():
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("general options")
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks and every warning")
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress or notes on stderr (warnings and errors still show)")
    return parent


def _data_options(parser, *, for_model=False):
    group = parser.add_argument_group(
        "data options",
        "How to read DATA (CSV, TSV, JSON Lines or Parquet; '-' reads stdin)."
        + (" Defaults come from the model's training data." if for_model else ""))
    group.add_argument("--text-col", metavar="COL",
                       help="column holding the texts (default: detected: 'text', "
                            "'comment_text', ..., else the column with the longest strings)")
    labels = group.add_mutually_exclusive_group()
    labels.add_argument("--label-cols", metavar="A,B,C",
                        help="the 0/1 label columns, comma-separated (default: every 0/1 column)")
    labels.add_argument("--labels-col", metavar="COL",
                        help="a column holding each row's label names, joined by --sep or as "
                             "a JSON list")
    group.add_argument("--sep", default=None, metavar="SEP",
                       help="separator of the label names in --labels-col (default: ',')")
    _input_options(group)


def _input_options(group):
    group.add_argument("--input-format", choices=("csv", "tsv", "jsonl", "parquet"),
                       help="format of DATA (default: from its extension, or sniffed)")
    group.add_argument("--encoding", default="utf-8",
                       help="text encoding of DATA (default: utf-8)")
    group.add_argument("--no-header", action="store_true",
                       help="the CSV/TSV file has no header line; columns are named 1, 2, ...")


def _decision_options(parser):
    group = parser.add_argument_group(
        "decision rule",
        "Default: the model's own rule (its tuned per-label thresholds).")
    group.add_argument("--threshold", type=_probability, metavar="P",
                       help="predict every label whose probability is above P")
    group.add_argument("--top-k", type=_positive_int, metavar="K",
                       help="predict the K best-scored labels of each text (with --threshold: "
                            "at most K above it)")


def _trust_option(parser):
    parser.add_argument(
        "--trust-pickle", action="store_true",
        help="allow model files stored with pickle. Loading a pickle RUNS CODE from the file: "
             "use only with files you made or trust")


def _build_parser():
    import mlkit

    common = _common_options()
    parser = _Parser(
        prog="mlkit", parents=[common],
        description="Multi-label text classification from the command line: train a model on a "
                    "CSV/TSV/JSON Lines/Parquet file, evaluate it, predict, serve it over HTTP.",
        epilog="Run 'mlkit COMMAND --help' for a command's options. Documentation: docs/cli.md.",
    )
    parser.add_argument("--version", action="version",
                        version=f"mlkit {mlkit.__version__} (Python {sys.version.split()[0]})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    # train
    p = sub.add_parser(
        "train", parents=[common], help="train a model on a labelled data file",
        description="Train a model on DATA and save it to one model file (-o). The Jigsaw "
                    "layout (a text column and one 0/1 column per label) needs no option; a "
                    "column of label names needs --labels-col.")
    p.add_argument("data", metavar="DATA", help="training data file, or '-' for stdin")
    _data_options(p)
    p.add_argument("-o", "--output", required=True, metavar="MODEL",
                   help="model file to write (e.g. model.mlkit)")
    p.add_argument("--model", default="tfidf", metavar="KIND",
                   help="kind of model, as mlkit.make_classifier(KIND): tfidf (default), "
                        "embeddings, transformer")
    p.add_argument("--base-model", metavar="NAME",
                   help="pretrained model of the embeddings/transformer kinds (a name or local "
                        "path), passed as make_classifier(KIND, model=NAME)")
    p.add_argument("--cv", type=_cv_folds, metavar="N",
                   help="folds used to tune the decision thresholds (default: the model's, 5)")
    p.add_argument("--holdout", type=_fraction, metavar="FRAC",
                   help="hold out this fraction (stratified) to measure the model; the saved "
                        "model is trained on the rest")
    p.add_argument("--random-state", type=int, default=0, metavar="SEED",
                   help="seed of the folds and the model (default: 0)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="parallel jobs over labels (default: 1; -1 for all CPUs)")
    p.add_argument("--serializer", choices=("auto", "skops", "pickle"), default="auto",
                   help="how the estimator is stored: skops, the safe format (default when "
                        "possible), or pickle (loading it runs code; needs --trust-pickle)")
    p.set_defaults(func=_cmd_train)

    # evaluate
    p = sub.add_parser(
        "evaluate", parents=[common], help="evaluate a model on labelled data",
        description="Print the metrics table and the per-label report of MODEL on DATA, and "
                    "optionally write an HTML report.")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("data", metavar="DATA", help="labelled data file, or '-' for stdin")
    _data_options(p, for_model=True)
    _decision_options(p)
    p.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    p.add_argument("--json", metavar="FILE", dest="json_out",
                   help="write the metrics and the per-label report as JSON")
    p.add_argument("--sort-by", default="f1",
                   choices=("f1", "support", "precision", "recall", "label"),
                   help="order of the per-label report (default: f1, worst first)")
    _trust_option(p)
    p.set_defaults(func=_cmd_evaluate)

    # predict
    p = sub.add_parser(
        "predict", parents=[common], help="predict the labels of every row of a data file",
        description="Predict label names and probabilities for every row of DATA, reading and "
                    "writing in batches so that large files need little memory.")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("data", metavar="DATA", help="data file with a text column, or '-' for stdin")
    group = p.add_argument_group("data options")
    group.add_argument("--text-col", metavar="COL",
                       help="column holding the texts (default: the model's training text "
                            "column if present, else detected)")
    group.add_argument("--id-col", metavar="COL",
                       help="column copied to the output to identify rows (default: 'id' when "
                            "present; the row number otherwise)")
    group.add_argument("--keep-cols", metavar="A,B",
                       help="more input columns to copy to the output")
    _input_options(group)
    _decision_options(p)
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", default="-", metavar="OUT",
                     help="output file (default: stdout)")
    out.add_argument("--format", choices=("csv", "jsonl"), default=None,
                     help="output format (default: from OUT's extension, else csv)")
    out.add_argument("--label-sep", default=",", metavar="SEP",
                     help="separator of the label names in the CSV 'labels' column "
                          "(default: ',')")
    out.add_argument("--no-scores", action="store_true",
                     help="write only the predicted labels, not every label's score")
    out.add_argument("--batch-size", type=_positive_int, default=2000, metavar="N",
                     help="rows per batch (default: 2000)")
    _trust_option(p)
    p.set_defaults(func=_cmd_predict)

    # serve
    p = sub.add_parser(
        "serve", parents=[common], help="serve a model over HTTP",
        description="Serve MODEL with FastAPI under uvicorn: POST /predict "
                    "{\"texts\": [...], \"threshold\"?: P, \"top_k\"?: K}; GET /health, "
                    "/labels, /metadata. Stop with Ctrl-C.")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; the "
                        "server has no authentication)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    p.add_argument("--max-batch", type=_positive_int, default=256, metavar="N",
                   help="most texts per request (default: 256)")
    p.add_argument("--max-text-length", type=_positive_int, default=20000, metavar="N",
                   help="most characters per text (default: 20000)")
    p.add_argument("--max-concurrency", type=_positive_int, default=None, metavar="N",
                   help="most predictions running at once (default: number of CPUs)")
    p.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="worker processes, each with its own copy of the model (default: 1)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--no-access-log", action="store_true", help="do not log every request")
    _trust_option(p)
    p.set_defaults(func=_cmd_serve)

    # inspect
    p = sub.add_parser(
        "inspect", parents=[common], help="audit a labelled data file for label errors",
        description="Run a model out-of-fold on DATA and report likely mislabeled rows, per-"
                    "label health and overlapping labels (mlkit.insights.audit).")
    p.add_argument("data", metavar="DATA", help="labelled data file, or '-' for stdin")
    _data_options(p)
    p.add_argument("--model", default="tfidf", metavar="KIND",
                   help="kind of model used for the out-of-fold scores (default: tfidf)")
    p.add_argument("--base-model", metavar="NAME", help="as for train")
    p.add_argument("--cv", type=_cv_folds, default=5, metavar="N",
                   help="out-of-fold folds (default: 5)")
    p.add_argument("--report", metavar="HTML", help="write the audit as an HTML report")
    p.add_argument("--export-clean", metavar="FILE",
                   help="write the data with the suggested edits applied, in DATA's layout "
                        "(format from FILE's extension)")
    p.add_argument("--fix-top", type=_positive_int, default=None, metavar="N",
                   help="apply only the N most confident suggested edits (default: all)")
    p.add_argument("--top", type=_positive_int, default=20, metavar="N",
                   help="label issues to print (default: 20)")
    p.add_argument("--random-state", type=int, default=0, metavar="SEED")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N")
    p.set_defaults(func=_cmd_inspect)

    # info
    p = sub.add_parser(
        "info", parents=[common], help="show a model file's metadata",
        description="Print a model file's metadata (versions, labels, thresholds, training "
                    "data, metrics) without loading the estimator.")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    p.set_defaults(func=_cmd_info)

    # demo
    from . import _demo

    p = sub.add_parser("demo", parents=[common], help="train and evaluate on GoEmotions",
                       description=_demo.DESCRIPTION)
    _demo.add_arguments(p)
    p.set_defaults(func=_cmd_demo)
    return parser


# --------------------------------------------------------------------------
# shared steps
# --------------------------------------------------------------------------


def _read_labelled(args, console, *, label_names=None, defaults=None, unknown_labels="error"):
    from .io import read_dataset

    defaults = defaults or {}
    text_col = args.text_col
    label_cols = args.label_cols
    labels_col = args.labels_col
    sep = args.sep
    default_labels_col = None
    if label_cols is None and labels_col is None and defaults.get("layout") == "tags":
        default_labels_col = defaults.get("labels_col")
        sep = sep if sep is not None else defaults.get("sep")
    with console.spinner(f"reading {_display(args.data)}"):
        return read_dataset(
            args.data, text_col=text_col, label_cols=label_cols, labels_col=labels_col,
            sep="," if sep is None else sep, format=args.input_format, encoding=args.encoding,
            header=not args.no_header, label_names=label_names, unknown_labels=unknown_labels,
            default_text_col=defaults.get("text_col"), default_labels_col=default_labels_col,
        )


def _accepts(func, name):
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _display(path):
    return "<stdin>" if path == "-" else str(path)


def _describe_dataset(ds):
    if ds.layout == "wide":
        layout = f"{len(ds.label_cols)} wide 0/1 label columns"
    else:
        layout = f"label names in column {ds.labels_col!r} (separator {ds.sep!r})"
    return (f"{_display(ds.source)}: {len(ds):,} rows ({ds.format}), text column "
            f"{ds.text_col!r}, {layout}")


def _make_model(kind, base_model, *, random_state, n_jobs, console):
    from ._factory import make_classifier

    kwargs = {}
    if _accepts(make_classifier, "random_state"):
        kwargs["random_state"] = random_state
    if n_jobs is not None and _accepts(make_classifier, "n_jobs"):
        kwargs["n_jobs"] = n_jobs
    if base_model is not None:
        if not _accepts(make_classifier, "model"):
            raise CLIError(
                f"--base-model is not supported by this mlkit's make_classifier (model kind "
                f"{kind!r} takes no pretrained model name)."
            )
        kwargs["model"] = base_model
    try:
        return make_classifier(kind, **kwargs)
    except ValueError as exc:
        raise CLIError(f"--model {kind}: {exc}") from exc


def _load_model(path, args, console):
    from .persistence import ModelVersionWarning, load_model

    with console.spinner(f"loading {path}"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelVersionWarning)
        estimator, manifest = load_model(path, trusted=bool(getattr(args, "trust_pickle", False)),
                                         with_metadata=True)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return estimator, manifest


def _scores(estimator, texts):
    from ._outputs import dense_label_scores

    if hasattr(estimator, "predict_proba"):
        return dense_label_scores(estimator.predict_proba(texts), estimator), "probability"
    if hasattr(estimator, "decision_function"):
        return dense_label_scores(estimator.decision_function(texts), estimator), "decision"
    return None, None


def _oof_metrics(estimator, Y, names):
    """Out-of-fold metrics from the model's ThresholdTuner, or None."""
    from .metrics import evaluate
    from .persistence import find_threshold_tuner
    from .thresholds import _platt_transform, apply_thresholds

    tuner = find_threshold_tuner(estimator)
    oof = getattr(tuner, "oof_scores_", None)
    if oof is None or oof.shape != Y.shape:
        return None
    D = apply_thresholds(oof, tuner.thresholds_, at_least_one=tuner.at_least_one_,
                         top_k=tuner.top_k)
    S = oof
    if getattr(tuner, "calibration_", None) is not None:
        S = _platt_transform(oof, tuner.calibration_)
    return evaluate(Y, D, S, label_names=names)


def _write_json(path, payload):
    from ._atomic import atomic_write
    from ._json import json_default

    text = json.dumps(payload, indent=2, allow_nan=True, default=json_default)
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")




# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------


def _cmd_train(args, console):
    from .metrics import evaluate, format_metrics
    from .persistence import find_threshold_tuner, save_model

    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise CLIError(f"-o {args.output}: the directory {out_dir!r} does not exist.")
    # the model first: an unknown kind or a bad option fails before reading the data
    model = _make_model(args.model, args.base_model, random_state=args.random_state,
                        n_jobs=args.n_jobs, console=console)
    tuner = find_threshold_tuner(model)
    if args.cv is not None:
        if tuner is None:
            raise CLIError(f"--cv: the {args.model!r} model has no threshold tuning to "
                           "cross-validate; leave --cv out.")
        tuner.set_params(cv=args.cv)

    ds = _read_labelled(args, console)
    console.info(_describe_dataset(ds))
    names = ds.label_names
    support = ds.Y.sum(axis=0)
    console.info("label support: " + ", ".join(
        f"{n} {int(c)}" for n, c in zip(names, support, strict=True)))
    if len(names) < 1:
        raise CLIError("the data has no label; nothing to train.")
    never = [str(n) for n, c in zip(names, support, strict=True) if c == 0]
    always = [str(n) for n, c in zip(names, support, strict=True) if c == len(ds)]
    if never:
        console.warn(f"label(s) with no positive example will never be predicted: "
                     f"{_shown(never)}")
    if always:
        console.warn(f"label(s) set on every row will always be predicted: {_shown(always)}")
    if len(ds) < 10:
        raise CLIError(f"{_display(ds.source)} has {len(ds)} rows; at least 10 are needed to "
                       "train and tune thresholds.")

    texts, Y = ds.texts, ds.Y
    metrics = {}
    if args.holdout is not None:
        from .model_selection import train_test_split

        idx = np.arange(len(ds))
        try:
            tr, te = train_test_split(idx, test_size=args.holdout, random_state=args.random_state,
                                      stratify=Y)
        except ValueError as exc:
            raise CLIError(f"--holdout {args.holdout}: {exc}") from exc
        texts_tr, Y_tr = [texts[i] for i in tr], Y[tr]
        texts_te, Y_te = [texts[i] for i in te], Y[te]
    else:
        texts_tr, Y_tr = texts, Y

    folds = getattr(tuner, "cv", None)
    how = f" ({folds}-fold threshold tuning)" if isinstance(folds, int) else ""
    console.info(f"training {args.model} model on {len(texts_tr):,} rows{how}")
    t0 = time.perf_counter()
    with console.spinner(f"training {args.model} model"):
        model.fit(texts_tr, _frame_or_matrix(Y_tr, names))
    fit_time = time.perf_counter() - t0
    console.info(f"trained in {fit_time:.1f} s")

    oof = _oof_metrics(model, Y_tr, names)
    if oof is not None:
        metrics["out_of_fold"] = oof
    if args.holdout is not None:
        with console.spinner("evaluating on the held-out rows"):
            S, _ = _scores(model, texts_te)
            D = model.predict(texts_te)
        metrics["holdout"] = evaluate(Y_te, D, S, label_names=names)
        metrics["holdout_rows"] = int(len(te))
    metrics["fit_time_s"] = round(fit_time, 3)
    metrics["train_rows"] = int(len(texts_tr))

    tables = {k: metrics[k] for k in ("out_of_fold", "holdout") if k in metrics}
    if tables:
        if "out_of_fold" in tables:
            console.info("out_of_fold: scores of rows unseen by the fold model that scored them "
                         "(the thresholds were tuned on them, so slightly optimistic)")
        if "holdout" in tables:
            console.info(f"holdout: {metrics['holdout_rows']:,} held-out rows")
        print(format_metrics(tables), flush=True)

    metadata = {"command": "train", "model_kind": args.model, "base_model": args.base_model,
                "cv": args.cv, "holdout": args.holdout, "random_state": args.random_state}
    with console.spinner(f"saving {args.output}"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manifest = save_model(model, args.output, label_names=names, training_data=ds,
                              metrics=metrics, metadata=metadata, serializer=args.serializer)
    for w in caught:
        if issubclass(w.category, UserWarning) and "pickle" in str(w.message):
            console.warn(str(w.message))
    size = os.path.getsize(args.output)
    console.info(f"saved {args.output} ({manifest['serializer']}, {_fmt_size(size)}, "
                 f"{len(names)} labels)")
    return EXIT_OK


def _frame_or_matrix(Y, names):
    """Labels with their names, so that the fitted model's classes_ are the label names."""
    from ._labels import indicator_to_labels

    if all(isinstance(n, str) for n in names):
        try:
            pd = __import__("pandas")
            return pd.DataFrame(Y, columns=[str(n) for n in names])
        except ImportError:
            return indicator_to_labels(Y, names)
    return Y


def _predict_in_batches(estimator, names, texts, args, console, batch_size=2000):
    """Decisions, scores and score kind for ``texts``, with a progress bar on a terminal."""
    from .serve import Predictor

    predictor = Predictor(estimator, names)
    D, S = [], []
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        d, s = predictor.predict(texts[start:start + batch_size], threshold=args.threshold,
                                 top_k=args.top_k)
        D.append(d)
        S.append(s)
        done = min(start + batch_size, len(texts))
        _progress_bar(console, done, done, len(texts), started)
    console.clear()
    return np.vstack(D), np.vstack(S), predictor.score_kind


def _check_decision(args, estimator):
    if (args.threshold is not None or args.top_k is not None) and not hasattr(
            estimator, "predict_proba"):
        raise CLIError("--threshold and --top-k need a model with probabilities (predict_proba); "
                       "this model has none.")


def _cmd_evaluate(args, console):
    from .metrics import evaluate, format_metrics, per_label_report

    estimator, manifest = _load_model(args.model, args, console)
    names = manifest.get("label_names") or [str(n) for n in getattr(estimator, "classes_", [])]
    if not names:
        raise CLIError(f"{args.model} records no label names; cannot match DATA's labels.")
    _check_decision(args, estimator)
    training = manifest.get("training_data") or {}
    ds = _read_labelled(args, console, label_names=names, defaults=training,
                        unknown_labels="ignore")
    console.info(_describe_dataset(ds))
    if ds.ignored_labels:
        console.warn(
            "label(s) in DATA that the model does not predict are left out of the evaluation: "
            + ", ".join(f"{k} ({v} rows)" for k, v in sorted(ds.ignored_labels.items())))
    if training.get("fingerprint") and training["fingerprint"] == ds.fingerprint():
        console.warn("DATA is the model's training data: these metrics are optimistic.")

    D, S, kind = _predict_in_batches(estimator, names, ds.texts, args, console)
    metrics = evaluate(ds.Y, D, S, label_names=names)
    thr = _threshold_column(manifest, args, len(names))
    report = per_label_report(ds.Y, D, label_names=names, thresholds=thr, y_score=S)
    rule = _rule_text(args, manifest)
    print(f"Evaluation of {args.model} on {_display(ds.source)} ({len(ds):,} rows, "
          f"{len(names)} labels; {rule})")
    print(format_metrics(metrics))
    print()
    sort = None if args.sort_by == "label" else args.sort_by
    title = {"f1": "sorted by F1, worst first", "support": "sorted by support",
             "precision": "sorted by precision", "recall": "sorted by recall",
             "label": "in model order"}[args.sort_by]
    print(f"Per-label report ({title}){_threshold_units(manifest, args)}:")
    print(report.to_string(sort_by=sort), flush=True)

    if args.json_out:
        _write_json(args.json_out, {"model": args.model, "data": ds.describe(), "rule": rule,
                                    "metrics": metrics, "per_label": report.to_dict()})
        console.info(f"wrote {args.json_out}")
    if args.report:
        from .report import render_report

        train_support = None
        sup = training.get("label_support")
        if isinstance(sup, dict) and all(n in sup for n in names):
            train_support = [int(sup[n]) for n in names]
        from ._atomic import atomic_write

        with console.spinner("writing the HTML report"):
            page = render_report(
                ds.texts, ds.Y, D, S, label_names=names, thresholds=thr,
                threshold_note=f"Decisions: {rule}{_threshold_units(manifest, args)}.",
                score_kind=kind or "probability", title="mlkit evaluation report",
                model_name=str(args.model), data_name=f"{_display(ds.source)} ({len(ds):,} rows)",
                train_support=train_support)
            with atomic_write(args.report, "w", encoding="utf-8") as f:
                f.write(page)
        console.info(f"wrote {args.report}")
    return EXIT_OK


def _threshold_column(manifest, args, n_labels):
    """Per-label thresholds shown in reports, in probability units when known."""
    if args.threshold is not None:
        return np.full(n_labels, float(args.threshold))
    if args.top_k is not None:
        return None
    info = manifest.get("thresholds") or {}
    values = info.get("probability") or info.get("values")
    if values is None or len(values) != n_labels:
        return None
    return np.asarray(values, dtype=float)


def _threshold_units(manifest, args):
    """How the report's threshold column is expressed, when not in probabilities."""
    info = manifest.get("thresholds") or {}
    if args.threshold is None and args.top_k is None and info and not info.get("probability"):
        return f" (thresholds in {info.get('units', 'score')} units)"
    return ""


def _rule_text(args, manifest):
    if args.threshold is not None and args.top_k is not None:
        return f"labels with probability above {args.threshold:g}, at most {args.top_k} per row"
    if args.threshold is not None:
        return f"labels with probability above {args.threshold:g}"
    if args.top_k is not None:
        return f"the {args.top_k} best-scored labels of each row"
    info = manifest.get("thresholds")
    if info:
        return "the model's tuned per-label thresholds" if info.get(
            "strategy") == "per_label" else "the model's tuned threshold"
    return "the model's own decisions"


def _cmd_predict(args, console):
    from ._atomic import atomic_write
    from .io import DataError, batch_texts, find_text_column, iter_batches
    from .serve import Predictor, ranked_labels

    fmt = args.format
    if fmt is None:
        ext = os.path.splitext(args.output)[1].lower() if args.output != "-" else ""
        fmt = "jsonl" if ext in (".jsonl", ".ndjson", ".json") else "csv"
    if args.output != "-":
        out_dir = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(out_dir):
            raise CLIError(f"-o {args.output}: the directory {out_dir!r} does not exist.")
    estimator, manifest = _load_model(args.model, args, console)
    _check_decision(args, estimator)
    predictor = Predictor(estimator, manifest.get("label_names"))
    names = predictor.label_names
    training = manifest.get("training_data") or {}
    keep = [c.strip() for c in (args.keep_cols or "").split(",") if c.strip()]

    batches = iter_batches(args.data, batch_size=args.batch_size, format=args.input_format,
                           encoding=args.encoding, header=not args.no_header,
                           progress=lambda d, b, t: _progress_bar(console, d, b, t, started))
    started = time.perf_counter()
    n_rows = 0
    n_labels_set = 0

    def write_all(f):
        nonlocal n_rows, n_labels_set
        import csv

        writer = None
        text_col = id_col = None
        for batch in batches:
            if text_col is None:
                text_col = _predict_text_col(args, batch, training, find_text_column)
                id_col = _predict_id_col(args, batch)
                for c in keep:
                    if c not in batch.columns:
                        from .io import _unknown_column

                        raise _unknown_column(c, batch.columns, _display(args.data),
                                              "--keep-cols")
            texts = batch_texts(batch, text_col, args.data)
            D, S = predictor.predict(texts, threshold=args.threshold, top_k=args.top_k)
            ids = (batch[id_col].tolist() if id_col else
                   [int(i) + 1 for i in batch.index])
            extra = {c: batch[c].tolist() for c in keep}
            for r in range(len(texts)):
                labels = [names[j] for j in ranked_labels(D[r], S[r])]
                n_labels_set += len(labels)
                if fmt == "jsonl":
                    record = {id_col or "row": _plain(ids[r])}
                    record.update({c: _plain(extra[c][r]) for c in keep})
                    record["labels"] = labels
                    if not args.no_scores:
                        record["scores"] = {n: round(float(v), 6)
                                            for n, v in zip(names, S[r], strict=True)}
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    if writer is None:
                        writer = csv.writer(f, lineterminator="\n")
                        header = [id_col or "row", *keep, "labels"]
                        if not args.no_scores:
                            header += [f"score_{n}" for n in names]
                        writer.writerow(header)
                    row = [ids[r], *(extra[c][r] for c in keep), args.label_sep.join(labels)]
                    if not args.no_scores:
                        row += [f"{float(v):.6f}" for v in S[r]]
                    writer.writerow(row)
            n_rows += len(texts)
            f.flush()

    try:
        if args.output == "-":
            write_all(sys.stdout)
        else:
            with atomic_write(args.output, "w", encoding="utf-8", newline="") as f:
                write_all(f)
    except BrokenPipeError:
        # the reader (e.g. `head`) stopped reading: not an error
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except DataError:
        console.clear()
        raise
    console.clear()
    elapsed = time.perf_counter() - started
    where = "stdout" if args.output == "-" else args.output
    console.info(f"predicted {n_rows:,} rows in {elapsed:.1f} s ({_rule_text(args, manifest)}; "
                 f"{n_labels_set / max(n_rows, 1):.2f} labels per row) -> {where}")
    return EXIT_OK


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _predict_text_col(args, batch, training, find_text_column):
    if args.text_col:
        return find_text_column(batch, args.text_col, source=args.data)
    col = training.get("text_col")
    if col and col in batch.columns:
        return col
    return find_text_column(batch, None, source=args.data)


def _predict_id_col(args, batch):
    if args.id_col:
        if args.id_col not in batch.columns:
            from .io import _unknown_column

            raise _unknown_column(args.id_col, batch.columns, _display(args.data), "--id-col")
        return args.id_col
    for c in batch.columns:
        if str(c).lower() == "id":
            return c
    return None


def _cmd_serve(args, console):
    from ._optional import import_optional
    from .serve import create_app

    uvicorn = import_optional("uvicorn", purpose="mlkit serve")
    if args.host not in _LOOPBACK:
        console.warn(f"listening on {args.host}: other machines can reach this server, which "
                     "has no authentication.")
    host = f"[{args.host}]" if ":" in args.host else args.host
    run = {"host": args.host, "port": args.port, "log_level": args.log_level,
           "access_log": not args.no_access_log, "timeout_graceful_shutdown": 10}
    if args.workers > 1:
        from .persistence import UntrustedModelError, read_metadata

        # each worker loads the model itself: check what can be checked here first
        manifest = read_metadata(args.model)
        if manifest.get("serializer") == "pickle" and not args.trust_pickle:
            raise UntrustedModelError(
                f"{args.model!r} stores its estimator with pickle, and loading a pickle runs "
                "code from the file. Pass --trust-pickle if you made it or trust its source.")
        os.environ.update({
            "MLKIT_MODEL": os.path.abspath(args.model),
            "MLKIT_MAX_BATCH": str(args.max_batch),
            "MLKIT_MAX_TEXT_LENGTH": str(args.max_text_length),
            "MLKIT_TRUST_PICKLE": "1" if args.trust_pickle else "0",
        })
        if args.max_concurrency:
            os.environ["MLKIT_MAX_CONCURRENCY"] = str(args.max_concurrency)
        console.info(f"serving {args.model} on http://{host}:{args.port} with {args.workers} "
                     "workers (POST /predict, GET /health /labels /metadata; Ctrl-C stops)")
        uvicorn.run("mlkit.serve:app_from_env", factory=True, workers=args.workers, **run)
        return EXIT_OK
    with console.spinner(f"loading {args.model}"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(args.model, max_batch=args.max_batch,
                         max_text_length=args.max_text_length,
                         max_concurrency=args.max_concurrency, trusted=args.trust_pickle)
    for w in caught:
        if w.category.__name__ == "ModelVersionWarning":
            console.warn(str(w.message))
    console.info(f"serving {args.model} on http://{host}:{args.port} (POST /predict, GET "
                 "/health /labels /metadata; Ctrl-C stops)")
    uvicorn.run(app, **run)
    return EXIT_OK


def _cmd_inspect(args, console):
    try:
        from . import insights
    except ImportError:
        insights = None
    if insights is None or not hasattr(insights, "audit"):
        raise CLIError("mlkit inspect needs mlkit.insights.audit, which this installation of "
                       "mlkit does not have.")
    from .io import write_dataset

    model = _make_model(args.model, args.base_model, random_state=args.random_state,
                        n_jobs=args.n_jobs, console=console)
    if args.export_clean:
        out_dir = os.path.dirname(os.path.abspath(args.export_clean))
        if not os.path.isdir(out_dir):
            raise CLIError(f"--export-clean {args.export_clean}: the directory {out_dir!r} "
                           "does not exist.")
    ds = _read_labelled(args, console)
    console.info(_describe_dataset(ds))
    kwargs = {"label_names": ds.label_names, "cv": args.cv, "random_state": args.random_state,
              "n_jobs": args.n_jobs}
    if _accepts(insights.audit, "verbose"):
        kwargs["verbose"] = console.tty and not console.quiet
    t0 = time.perf_counter()
    with console.spinner(f"auditing {len(ds):,} rows ({args.cv}-fold out-of-fold scores)"):
        audit = insights.audit(model, ds.texts, ds.Y, **kwargs)
    console.info(f"audited in {time.perf_counter() - t0:.1f} s")
    summary = getattr(audit, "summary", None)
    if callable(summary):
        print(summary())
    issues = audit.label_issues
    n = len(issues)
    if n:
        print(f"\nmost suspicious label cells ({min(args.top, n)} of {n:,}; row numbers count "
              "data rows from 1):")
        shown = issues.head(args.top)
        columns = [c for c in ("row", "label", "kind", "score", "given_labels") if c in shown]
        table = shown[columns].copy()
        if "row" in table:
            table["row"] = table["row"].astype(int) + 1
        if "given_labels" in table:
            table["given_labels"] = [
                ", ".join(v) if isinstance(v, (list, tuple)) else str(v)
                for v in table["given_labels"]]
        table["text"] = [_short(ds.texts[int(r)], 50) for r in shown["row"]]
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    else:
        print("\nno suspicious label cell")
    if args.report:
        audit.to_html(args.report)
        console.info(f"wrote {args.report}")
    if args.export_clean:
        edits = audit.suggest_edits(top_n=args.fix_top)
        texts2, Y2, kept = edits.apply(ds.texts, ds.Y, label_names=ds.label_names)
        kept = np.asarray(kept, dtype=np.int64)
        fmt = write_dataset(ds, args.export_clean, texts=texts2, Y=Y2, rows=kept)
        changed = int(np.sum(np.asarray(Y2) != ds.Y[kept]))
        console.info(f"wrote {args.export_clean} ({fmt}, {len(kept):,} of {len(ds):,} rows kept, "
                     f"{changed:,} label cell(s) changed by {len(edits):,} edit(s))")
    return EXIT_OK


def _short(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _cmd_info(args, console):
    from .persistence import read_metadata

    manifest = read_metadata(args.model)
    if args.json:
        print(json.dumps(manifest, indent=2, allow_nan=True))
        return EXIT_OK
    versions = manifest.get("versions") or {}
    est = manifest.get("estimator") or {}
    names = manifest.get("label_names") or []
    print(f"model file:   {args.model} (format {manifest['format_version']}, "
          f"{manifest.get('serializer')})")
    print(f"created:      {manifest.get('created_at')} with "
          + ", ".join(f"{k} {v}" for k, v in versions.items()))
    steps = est.get("steps")
    print(f"estimator:    {est.get('class')}"
          + (" (" + " -> ".join(s["class"].rsplit(".", 1)[-1] for s in steps) + ")"
             if steps else ""))
    print(f"labels ({len(names)}): {_shown(names, 30)}")
    thr = manifest.get("thresholds")
    if thr:
        probs = thr.get("probability")
        shown = (f"probability {min(probs):.3f} to {max(probs):.3f}" if probs else
                 f"{thr['units']} {min(thr['values']):.3f} to {max(thr['values']):.3f}")
        print(f"thresholds:   {thr.get('strategy')}, {shown}")
    train = manifest.get("training_data") or {}
    if train:
        print(f"trained on:   {train.get('source', '?')} ({train.get('n_rows', '?')} rows, "
              f"fingerprint {str(train.get('fingerprint', '?'))[:19]}...)")
    metrics = manifest.get("metrics") or {}
    for key in ("out_of_fold", "holdout"):
        if isinstance(metrics.get(key), dict):
            m = metrics[key]
            print(f"{key + ':':<13} f1_micro {m.get('f1_micro', float('nan')):.4f}, "
                  f"f1_macro {m.get('f1_macro', float('nan')):.4f}")
    return EXIT_OK


def _cmd_demo(args, console):
    from . import _demo

    return _demo.run(args)


# --------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------


def _expected_errors():
    from .io import DataError
    from .persistence import ModelFileError

    return (CLIError, DataError, ModelFileError)


def main(argv=None):
    """Run the ``mlkit`` command line and return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success, 1 on a failure (e.g. a missing optional dependency),
        2 on bad input or usage, 130 when interrupted.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("mlkit: error: give a command (train, evaluate, predict, serve, inspect, info, "
              "demo); see 'mlkit --help'", file=sys.stderr)
        return EXIT_USAGE
    debug = getattr(args, "debug", False)
    console = _Console(quiet=getattr(args, "quiet", False))
    prog = f"mlkit {args.command}"

    def show_warning(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if debug:
            text += f" [{category.__name__} at {filename}:{lineno}]"
        console.warn(text)

    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        warnings.simplefilter("default")  # each distinct warning once per location
        try:
            return args.func(args, console)
        except KeyboardInterrupt:
            console.clear()
            print(f"{prog}: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except _expected_errors() as exc:
            return _fail(prog, exc, EXIT_USAGE, debug, console)
        except ImportError as exc:
            return _fail(prog, exc, EXIT_FAILURE, debug, console)
        except (ValueError, TypeError, OSError) as exc:
            return _fail(prog, exc, EXIT_USAGE, debug, console, hint=True)
        except Exception as exc:  # a bug: say so in one line, traceback with --debug
            return _fail(prog, exc, EXIT_FAILURE, debug, console, hint=True, internal=True)


def _fail(prog, exc, status, debug, console, hint=False, internal=False):
    console.clear()
    if debug:
        traceback.print_exc()
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
        message = f"{exc.filename}: {message}"
    if internal:
        message = f"unexpected {type(exc).__name__}: {message}"
    if hint and not debug:
        message += " (run with --debug for the traceback)"
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    return status
