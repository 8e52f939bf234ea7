"""``mlkit evaluate``: a client of :func:`mlkit.evaluation.evaluate_model`."""

import numpy as np

from ._console import EXIT_OK, CLIError, _display, _shown, _write_json
from ._options import _count, _data_options, _decision_options, _trust_option
from ._paths import _check_outputs
from ._steps import (
    _check_decision,
    _describe_dataset,
    _load_model,
    _read_labelled,
    _rule_text,
)


def add_parser(sub, common):
    """The ``mlkit evaluate`` sub-command."""
    p = sub.add_parser(
        "evaluate", parents=[common], help="evaluate a model on labelled data",
        description="Print the metrics table and the per-label report of MODEL on DATA, and "
                    "optionally write an HTML report.")
    p.add_argument("model", metavar="MODEL", help="model file or checkpoint folder")
    p.add_argument("data", metavar="DATA", help="labelled data file, or '-' for stdin")
    _data_options(p, for_model=True)
    _decision_options(p)
    p.add_argument("--report", metavar="HTML", help="write a self-contained HTML report")
    p.add_argument("--json", metavar="FILE", dest="json_out",
                   help="write the metrics and the per-label report as JSON")
    p.add_argument("--sort-by", default="f1",
                   choices=("f1", "support", "precision", "recall", "label"),
                   help="order of the per-label report (default: f1, worst first)")
    p.add_argument("--worst", type=_count, default=10, metavar="N",
                   help="show the N worst-predicted rows (most wrong labels first; default: "
                        "10; 0: none); --json holds them too")
    _trust_option(p)
    p.set_defaults(func=run)


def run(args, console):
    from ..evaluation import evaluate_model
    from ..metrics import format_metrics

    _check_outputs({"MODEL": args.model, "DATA": args.data},
                   {"--json": args.json_out, "--report": args.report})
    estimator, manifest = _load_model(args.model, args, console)
    names = manifest.get("label_names") or [str(n) for n in getattr(estimator, "classes_", [])]
    if not names:
        raise CLIError(f"{args.model} records no label names; cannot match DATA's labels.")
    _check_decision(args, estimator)
    training = manifest.get("training_data") or {}
    ds = _read_labelled(args, console, label_names=names, defaults=training,
                        unknown_labels="ignore")
    console.info(_describe_dataset(ds))
    keep = _common_labels(ds, names, console)
    if training.get("fingerprint") and training["fingerprint"] == ds.fingerprint():
        console.warn("DATA is the model's training data: these metrics are optimistic.")

    result = evaluate_model(
        estimator, ds.texts, ds.Y, label_names=names,
        labels=None if keep is None else [names[j] for j in keep], n_worst=args.worst,
        threshold=args.threshold, top_k=args.top_k, verbose=console.tty and not console.quiet)
    names = result.label_names
    units = _units_note(result)
    rule = _rule_text(args, manifest)
    print(f"Evaluation of {args.model} on {_display(ds.source)} ({len(ds):,} rows, "
          f"{len(names)} labels; {rule})")
    print(format_metrics(result.metrics))
    print()
    sort = None if args.sort_by == "label" else args.sort_by
    title = {"f1": "sorted by F1, worst first", "support": "sorted by support",
             "precision": "sorted by precision", "recall": "sorted by recall",
             "label": "in model order"}[args.sort_by]
    print(f"Per-label report ({title}){units}:")
    print(result.report.to_string(sort_by=sort), flush=True)
    worst = result.worst_to_string(n_worst=args.worst)
    if worst:
        print()
        print(worst, flush=True)

    if args.json_out:
        _write_json(args.json_out, {"model": args.model, "data": ds.describe(), "rule": rule,
                                    "metrics": result.metrics,
                                    "per_label": result.report.to_dict(),
                                    "worst": result.worst})
        console.info(f"wrote {args.json_out}")
    if args.report:
        _write_report(args, console, ds, result, training, rule, units)
    return EXIT_OK


def _units_note(result):
    """How the report's threshold column is expressed, when not in probabilities."""
    if result.thresholds is not None and result.threshold_units not in (None, "probability"):
        return f" (thresholds in {result.threshold_units} units)"
    return ""


def _write_report(args, console, ds, result, training, rule, units):
    from .._atomic import atomic_write
    from ..report import render_report

    names = result.label_names
    train_support = None
    sup = training.get("label_support")
    if isinstance(sup, dict) and all(n in sup for n in names):
        train_support = [int(sup[n]) for n in names]
    with console.spinner("writing the HTML report"):
        page = render_report(
            ds.texts, result.Y_true, result.Y_pred, result.scores, label_names=names,
            thresholds=result.thresholds, threshold_note=f"Decisions: {rule}{units}.",
            score_kind=result.score_kind, title="mlkit evaluation report",
            model_name=str(args.model), data_name=f"{_display(ds.source)} ({len(ds):,} rows)",
            train_support=train_support)
        with atomic_write(args.report, "w", encoding="utf-8") as f:
            f.write(page)
    console.info(f"wrote {args.report}")


def _common_labels(ds, names, console):
    """The indices of the model's labels to evaluate on, or None for all of them.

    The wide layout names its label columns, and ``read_dataset`` already refuses a file
    that lacks some of the model's. In the tags layout the data's labels are the names its
    rows hold: none in common with the model's is refused; names the model does not know
    mean that the two label sets differ, and the evaluation keeps the labels both have
    (a warning names the others); otherwise every model label is evaluated (one with no
    row in DATA simply has no support).
    """
    if ds.layout != "tags":
        return None
    names = [str(n) for n in names]
    support = np.asarray(ds.Y).sum(axis=0)
    ignored = dict(ds.ignored_labels or {})
    common = [j for j, c in enumerate(support) if c > 0]
    where = _display(ds.source)
    data_labels = sorted(ignored)
    if not common:
        held = (f"holds the label(s) {_shown(data_labels, 20)}" if data_labels else
                "holds no label on any row")
        raise CLIError(
            f"{where} and the model have no label in common: the model predicts "
            f"{_shown(names, 20)}; {where} {held}. Evaluate on data labelled with the "
            "model's labels (check --labels-col and --sep).")
    if not ignored:
        return None
    missing = [names[j] for j in range(len(names)) if j not in set(common)]
    console.warn(
        f"{where}'s labels differ from the model's: evaluating only the {len(common)} label(s) "
        f"both have ({_shown([names[j] for j in common])}); left out: in {where} only: "
        + ", ".join(f"{k} ({v} rows)" for k, v in sorted(ignored.items()))
        + (f"; the model's only: {_shown(missing)}" if missing else "") + ".")
    return common if missing else None
