"""``mlkit evaluate``."""



from ._console import EXIT_OK, CLIError, _display, _write_json
from ._options import _data_options, _decision_options, _trust_option
from ._steps import (
    _check_decision,
    _describe_dataset,
    _load_model,
    _predict_in_batches,
    _read_labelled,
    _rule_text,
    _threshold_column,
    _threshold_units,
)


def add_parser(sub, common):
    """The ``mlkit evaluate`` sub-command."""
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
    p.set_defaults(func=run)


def run(args, console):
    from ..metrics import evaluate, format_metrics, per_label_report

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
        from ..report import render_report

        train_support = None
        sup = training.get("label_support")
        if isinstance(sup, dict) and all(n in sup for n in names):
            train_support = [int(sup[n]) for n in names]
        from .._atomic import atomic_write

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
