"""``mlkit train``."""

import os
import time
import warnings

import numpy as np

from ._console import EXIT_OK, CLIError, _display, _fmt_size, _shown
from ._options import _cv_folds, _data_options, _fraction, _n_jobs, _seed
from ._paths import _check_outputs
from ._steps import _describe_dataset, _frame_or_matrix, _make_model, _read_labelled


def add_parser(sub, common):
    """The ``mlkit train`` sub-command."""
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
    p.add_argument("--random-state", type=_seed, default=0, metavar="SEED",
                   help="seed of the folds and the model (default: 0)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                   help="parallel jobs over labels (default: 1; -1 for all CPUs)")
    p.add_argument("--serializer", choices=("auto", "safe", "skops", "pickle"), default="auto",
                   help="how the estimator is stored: safe, mlkit's safe format (the default "
                        "when possible), skops (needs skops) or pickle (loading it runs code; "
                        "needs --trust-pickle)")
    p.set_defaults(func=run)


def _oof_metrics(estimator, Y, names):
    """Out-of-fold metrics from the model's ThresholdTuner, or None."""
    from ..inference import find_threshold_tuner
    from ..metrics import evaluate

    tuner = find_threshold_tuner(estimator)
    oof = getattr(tuner, "oof_scores_", None)
    if oof is None or oof.shape != Y.shape:
        return None
    D = tuner.decide(oof)
    S = tuner.calibrate(oof) if tuner.proba_thresholds_ is not None else oof
    return evaluate(Y, D, S, label_names=names)


def run(args, console):
    from ..inference import Predictor, find_threshold_tuner
    from ..metrics import evaluate, format_metrics

    inputs = {"DATA": args.data}
    if args.base_model and os.path.exists(args.base_model):
        inputs["--base-model"] = args.base_model
    _check_outputs(inputs, {"-o": args.output})
    # the model first: an unknown kind or a bad option fails before reading the data
    model = _make_model(args.model, args.base_model, random_state=args.random_state,
                        n_jobs=args.n_jobs, console=console)
    tuner = find_threshold_tuner(model)
    if args.cv is not None:
        if tuner is None:
            raise CLIError(f"--cv: the {args.model!r} model has no threshold tuning to "
                           "cross-validate; leave --cv out.")
        tuner.set_params(cv=args.cv)

    ds = _read_training_data(args, console)
    names = ds.label_names
    metrics = {}
    texts_tr, Y_tr, texts_te, Y_te = _split_holdout(ds, args)

    folds = getattr(tuner, "cv", None)
    how = f" ({folds}-fold threshold tuning)" if isinstance(folds, int) else ""
    console.info(f"training {args.model} model on {len(texts_tr):,} rows{how}")
    t0 = time.perf_counter()
    # no spinner: on a terminal the model shows its own progress bars (verbose)
    model.fit(texts_tr, _frame_or_matrix(Y_tr, names))
    fit_time = time.perf_counter() - t0
    console.info(f"trained in {fit_time:.1f} s")

    oof = _oof_metrics(model, Y_tr, names)
    if oof is not None:
        metrics["out_of_fold"] = oof
    if args.holdout is not None:
        with console.spinner("evaluating on the held-out rows"):
            D, S = Predictor(model, names).predict(texts_te)
        metrics["holdout"] = evaluate(Y_te, D, S, label_names=names)
        metrics["holdout_rows"] = int(len(texts_te))
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

    _save(model, args, console, ds, metrics)
    return EXIT_OK


def _read_training_data(args, console):
    """The labelled data, with its label support shown and the unusable cases refused."""
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
    return ds


def _split_holdout(ds, args):
    """(train texts, train labels, held-out texts, held-out labels); no held-out part
    (None, None) without --holdout."""
    texts, Y = ds.texts, ds.Y
    if args.holdout is None:
        return texts, Y, None, None
    from ..model_selection import train_test_split

    idx = np.arange(len(ds))
    try:
        tr, te = train_test_split(idx, test_size=args.holdout, random_state=args.random_state,
                                  stratify=Y)
    except ValueError as exc:
        raise CLIError(f"--holdout {args.holdout}: {exc}") from exc
    return [texts[i] for i in tr], Y[tr], [texts[i] for i in te], Y[te]


def _save(model, args, console, ds, metrics):
    from ..persistence import save_model

    names = ds.label_names
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
