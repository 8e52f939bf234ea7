"""Steps shared by several commands: reading labelled data, making and loading models
(model files and checkpoint folders), the decision rule in words."""

import warnings

from ._console import CLIError, _accepts, _display


def _read_labelled(args, console, *, label_names=None, defaults=None, unknown_labels="error"):
    from ..io import read_dataset

    defaults = defaults or {}
    if label_names is None and getattr(args, "label_names", None):
        label_names = [n.strip() for n in args.label_names.split(",") if n.strip()]
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

def _describe_dataset(ds):
    if ds.layout == "wide":
        layout = f"{len(ds.label_cols)} wide 0/1 label columns"
    elif getattr(ds, "labels_format", "names") != "names":
        layout = f"{ds.labels_format} lists in column {ds.labels_col!r}"
    else:
        layout = f"label names in column {ds.labels_col!r} (separator {ds.sep!r})"
    return (f"{_display(ds.source)}: {len(ds):,} rows ({ds.format}), text column "
            f"{ds.text_col!r}, {layout}")

def _make_model(kind, base_model, *, random_state, n_jobs, console):
    from .._factory import make_classifier

    kwargs = {}
    if _accepts(make_classifier, "random_state"):
        kwargs["random_state"] = random_state
    if n_jobs is not None and _accepts(make_classifier, "n_jobs"):
        kwargs["n_jobs"] = n_jobs
    # progress bars of the fits (and of encoding/training for the neural kinds) on a terminal
    kwargs["verbose"] = console.tty and not console.quiet
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
    from ..persistence import ModelVersionWarning, load_model

    with console.spinner(f"loading {path}"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelVersionWarning)
        estimator, manifest = load_model(
            path, trusted=bool(getattr(args, "trust_pickle", False)), with_metadata=True,
            allow_download=bool(getattr(args, "allow_download", False)))
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return estimator, manifest

def _frame_or_matrix(Y, names):
    """Labels with their names, so that the fitted model's classes_ are the label names."""
    from .._labels import indicator_to_labels

    if all(isinstance(n, str) for n in names):
        try:
            pd = __import__("pandas")
            return pd.DataFrame(Y, columns=[str(n) for n in names])
        except ImportError:
            return indicator_to_labels(Y, names)
    return Y

def _check_decision(args, estimator):
    from ..base import has_method

    if (args.threshold is not None or args.top_k is not None) and not has_method(
            estimator, "predict_proba"):
        raise CLIError("--threshold and --top-k need a model with probabilities (predict_proba); "
                       "this model has none.")

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
