"""``mlkit info``."""

import json

from ._console import EXIT_OK, _shown


def add_parser(sub, common):
    """The ``mlkit info`` sub-command."""
    p = sub.add_parser(
        "info", parents=[common], help="show a model file's metadata",
        description="Print a model file's metadata (versions, labels, thresholds, training "
                    "data, metrics) without loading the estimator.")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    p.set_defaults(func=run)


def run(args, console):
    from ..persistence import read_metadata

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
