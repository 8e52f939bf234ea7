"""``mlkit train``."""

import os
import time
import warnings

import numpy as np

from ._console import EXIT_OK, CLIError, _display, _fmt_size, _shown
from ._options import _cv_folds, _data_options, _fraction, _n_jobs, _seed, _training_options
from ._paths import _check_outputs
from ._steps import _describe_dataset, _frame_or_matrix, _make_model, _read_labelled


def add_parser(sub, common):
    """The ``mlkit train`` sub-command."""
    p = sub.add_parser(
        "train", parents=[common], help="train a model on a labelled data file",
        description="Train a model on DATA and save it to one model file (-o), or (--model "
                    "transformer) to a Hugging Face checkpoint folder (-o DIR/). The Jigsaw "
                    "layout (a text column and one 0/1 column per label) needs no option; a "
                    "column of label names needs --labels-col.")
    p.add_argument("data", metavar="DATA", help="training data file, or '-' for stdin")
    _data_options(p)
    p.add_argument("-o", "--output", required=True, metavar="MODEL",
                   help="model file to write (e.g. model.mlkit); with --model transformer, a "
                        "path ending in '/' or an existing checkpoint folder writes a "
                        "checkpoint folder instead (mlkit.transformer.save_pretrained)")
    p.add_argument("--model", default="tfidf", metavar="KIND",
                   help="kind of model, as mlkit.make_classifier(KIND): tfidf (default), "
                        "embeddings, transformer, hybrid (tfidf and embeddings blended)")
    p.add_argument("--base-model", metavar="NAME",
                   help="pretrained model of the embeddings/transformer kinds (a name or local "
                        "path), passed as make_classifier(KIND, model=NAME)")
    p.add_argument("--cv", type=_cv_folds, metavar="N",
                   help="folds used to tune the decision thresholds (default: the model's; tfidf: 3 "
                        "when every label has 50+ examples, else 5)")
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
    _training_options(p)
    p.set_defaults(func=run)


def _oof_metrics(estimator, Y, names):
    """Out-of-fold metrics from the model's ThresholdTuner, or None."""
    from ..inference import find_threshold_tuner
    from ..metrics import evaluate

    tuner = find_threshold_tuner(estimator)
    oof = getattr(tuner, "oof_scores_", None)
    rows = getattr(tuner, "oof_rows_", None)  # the held-out rows of a cv=0.2 split
    if oof is not None and rows is not None and oof.shape != Y.shape:
        # rows past the given ones are the label-name rows a TextPipeline appended
        given = np.asarray(rows) < Y.shape[0]
        oof, Y = oof[given], Y[np.asarray(rows)[given]]
    if oof is None or oof.shape != Y.shape or not len(Y):
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
    folder = _is_folder_output(args)
    if folder:
        _check_folder_output(args, inputs)
    else:
        _check_outputs(inputs, {"-o": args.output})
    # the model first: an unknown kind or a bad option fails before reading the data
    model = _make_model(args.model, args.base_model, random_state=args.random_state,
                        n_jobs=args.n_jobs, console=console)
    _apply_training_options(model, args)
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
    # cv="auto": the number of folds is known once the tuner has seen the labels
    chosen = getattr(tuner, "n_splits_", None) if folds == "auto" else None
    console.info(f"trained in {fit_time:.1f} s"
                 + (f" ({chosen}-fold threshold tuning)" if chosen else ""))

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

    _print_history(model, metrics)
    tables = {k: metrics[k] for k in ("out_of_fold", "holdout") if k in metrics}
    if tables:
        if "out_of_fold" in tables and isinstance(folds, float):
            console.info(f"out_of_fold: the {folds:.0%} validation split, unseen in training "
                         "(the thresholds were tuned on it, so slightly optimistic)")
        elif "out_of_fold" in tables:
            console.info("out_of_fold: scores of rows unseen by the fold model that scored them "
                         "(the thresholds were tuned on them, so slightly optimistic)")
        if "holdout" in tables:
            console.info(f"holdout: {metrics['holdout_rows']:,} held-out rows")
        print(format_metrics(tables), flush=True)

    if folder:
        _save_folder(model, args, console)
    else:
        _save(model, args, console, ds, metrics)
    return EXIT_OK


# flag attribute, flag, estimator parameter
_TRAINING_FLAGS = (
    ("epochs", "--epochs", "epochs"),
    ("max_length", "--max-length", "max_length"),
    ("learning_rate", "--learning-rate", "learning_rate"),
    ("batch_size", "--batch-size", "batch_size"),
    ("device", "--device", "device"),
    ("freeze", "--freeze", "freeze"),
    ("gradient_accumulation", "--gradient-accumulation", "gradient_accumulation_steps"),
)


def _neural_parts(model):
    """The torch-backed parts of an unfitted model (TransformerClassifier, featurizer)."""
    from ..features import SentenceEmbeddingFeaturizer
    from ..transformer import TransformerClassifier

    parts, todo = [], [model]
    while todo:
        est = todo.pop()
        if isinstance(est, (TransformerClassifier, SentenceEmbeddingFeaturizer)):
            parts.append(est)
            continue
        todo += [step for _, step in getattr(est, "steps", None) or []]
        todo += [member for _, member in getattr(est, "estimators", None) or []]  # ScoreBlend
        if getattr(est, "estimator", None) is not None:
            todo.append(est.estimator)
    return parts


def _apply_training_options(model, args):
    """Set the neural training flags on the model's torch-backed part, or refuse them."""
    given = [(flag, param, getattr(args, attr)) for attr, flag, param in _TRAINING_FLAGS
             if getattr(args, attr, None) is not None]
    if not given:
        return
    parts = _neural_parts(model)
    for flag, param, value in given:
        owners = [p for p in parts if param in p.get_params(deep=False)]
        if not owners and not parts:
            raise CLIError(
                f"{flag} does not apply to --model {args.model}, which has no neural network; "
                "it applies to --model transformer (and --batch-size, --max-length, --device "
                "to --model embeddings).")
        if not owners:
            raise CLIError(
                f"{flag} does not apply to --model {args.model}: its "
                f"{type(parts[0]).__name__} takes no {param} (an embeddings model's encoder "
                "is not trained); it applies to --model transformer.")
        for part in owners:
            part.set_params(**{param: value})
    if args.device is not None:
        from .._torch import resolve_device

        try:
            resolve_device(args.device, purpose="--device")
        except (ValueError, TypeError) as exc:
            raise CLIError(str(exc)) from None  # names --device: the purpose above


def _print_history(model, metrics):
    """The per-epoch history of a fine-tuned transformer (``history_``), as a table."""
    from ..metrics import format_metrics

    todo, history = [model], None
    while todo and history is None:
        est = todo.pop()
        history = getattr(est, "history_", None)
        todo += [step for _, step in getattr(est, "steps", None) or []]
        todo += [member for _, member in getattr(est, "estimators", None) or []]  # ScoreBlend
        todo += [getattr(est, a) for a in ("estimator_", "estimator")
                 if getattr(est, a, None) is not None]
    if not history:
        return
    table = {f"epoch {h.get('epoch', i + 1)}": {k: v for k, v in h.items() if k != "epoch"}
             for i, h in enumerate(history) if isinstance(h, dict)}
    metrics["history"] = list(history)
    print("Per-epoch history:")
    print(format_metrics(table), flush=True)


def _is_folder_output(args):
    """Whether -o names a checkpoint folder: a path ending in /, or (--model transformer)
    an existing directory. Other kinds given an existing directory get the usual
    "is a directory" refusal of _check_outputs."""
    out = str(args.output)
    return out != "-" and (out.endswith(("/", os.sep))
                           or (args.model == "transformer" and os.path.isdir(out)))


def _check_folder_output(args, inputs):
    if args.model != "transformer":
        raise CLIError(f"-o {args.output} is a folder: a checkpoint folder holds a fine-tuned "
                       f"transformer (--model transformer); for --model {args.model} give a "
                       "model file, e.g. -o model.mlkit.")
    parent = os.path.dirname(os.path.abspath(str(args.output).rstrip("/" + os.sep)))
    if not os.path.isdir(parent):
        raise CLIError(f"-o {args.output}: the directory {parent!r} does not exist; create it "
                       "first or choose another output path.")
    target = os.path.realpath(args.output)
    for name, source in inputs.items():
        if source != "-" and (os.path.realpath(source) == target
                              or os.path.realpath(source).startswith(target + os.sep)):
            raise CLIError(f"-o {args.output} holds the input {name}; choose another output "
                           "folder.")


def _save_folder(model, args, console):
    from ..transformer import save_pretrained

    with console.spinner(f"saving {args.output}"):
        path = save_pretrained(model, args.output)
    console.info(f"saved the checkpoint folder {path} (load it with mlkit.load_model or any "
                 "Hugging Face tool)")


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
