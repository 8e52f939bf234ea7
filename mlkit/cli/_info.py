"""``mlkit info``."""

import json
import os

from ._console import EXIT_OK, _shown


def add_parser(sub, common):
    """The ``mlkit info`` sub-command."""
    p = sub.add_parser(
        "info", parents=[common], help="show a model file's metadata",
        description="Print a model file's metadata (versions, labels, thresholds, training "
                    "data, metrics) without loading the estimator. For a checkpoint folder "
                    "(or hub name) the model is loaded, and its labels, thresholds and base "
                    "model are shown.")
    p.add_argument("model", metavar="MODEL", help="model file or checkpoint folder")
    p.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    p.add_argument("--allow-download", action="store_true",
                   help="MODEL may be a Hugging Face hub name that is not in the local cache: "
                        "download it (without this, nothing is downloaded)")
    p.set_defaults(func=run)


def run(args, console):
    from ..persistence import read_metadata

    if args.allow_download and not os.path.isfile(args.model):  # a hub name
        from ._steps import _load_model

        manifest = _load_model(args.model, args, console)[1]
    else:  # a model file's manifest; a folder's (or cached hub name's) after loading it
        with console.spinner(f"reading {args.model}"):
            manifest = read_metadata(args.model)
    if args.json:
        print(json.dumps(manifest, indent=2, allow_nan=True))
        return EXIT_OK
    if manifest.get("format") == "checkpoint-folder":
        return _show_checkpoint(manifest)
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
    if manifest.get("thresholds"):
        _show_thresholds(manifest["thresholds"])
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


def _show_checkpoint(manifest):
    base = manifest.get("base_model") or {}
    names = manifest.get("label_names") or []
    print(f"checkpoint:   {manifest.get('source')} ({manifest.get('kind')})")
    arch = ", ".join(base.get("architectures") or []) or "?"
    print(f"base model:   {base.get('model_type') or '?'} ({arch}"
          + (f"; pooling {manifest['pooling']}" if manifest.get("pooling") else "") + ")")
    print(f"estimator:    {(manifest.get('estimator') or {}).get('class')}")
    print(f"labels ({len(names)}): {_shown(names, 30)}")
    _show_thresholds(manifest.get("thresholds"))
    written = (manifest.get("versions") or {}).get("transformers")
    if written:
        print(f"written with: transformers {written}")
    return EXIT_OK


def _show_thresholds(thr):
    if not thr:
        print("thresholds:   none tuned (the classifier's own rule)")
        return
    probs = thr.get("probability")
    shown = (f"probability {min(probs):.3f} to {max(probs):.3f}" if probs else
             f"{thr['units']} {min(thr['values']):.3f} to {max(thr['values']):.3f}")
    print(f"thresholds:   {thr.get('strategy')}, {shown}")
