"""``mlkit inspect``."""

import os
import time
import warnings

import numpy as np

from ._console import EXIT_OK, CLIError, _accepts
from ._options import _cv_folds, _data_options, _n_jobs, _positive_int, _probability, _seed
from ._paths import _check_outputs
from ._steps import _describe_dataset, _make_model, _read_labelled


def add_parser(sub, common):
    """The ``mlkit inspect`` sub-command."""
    p = sub.add_parser(
        "inspect", parents=[common], help="audit a labelled data file for label errors",
        description="Run a model out-of-fold on DATA and report likely mislabeled rows, per-"
                    "label health and overlapping labels (mlkit.insights.audit).")
    p.add_argument("data", metavar="DATA", nargs="?",
                   help="labelled data file, or '-' for stdin (with --undo: the edited export; "
                        "default: the export named in the log)")
    _data_options(p)
    p.add_argument("--model", default="tfidf", metavar="KIND",
                   help="kind of model used for the out-of-fold scores (default: tfidf)")
    p.add_argument("--base-model", metavar="NAME", help="as for train")
    p.add_argument("--cv", type=_cv_folds, default=5, metavar="N",
                   help="out-of-fold folds (default: 5)")
    p.add_argument("--proba", metavar="FILE",
                   help="out-of-fold probabilities computed elsewhere (.npy, .csv, .tsv or "
                        ".parquet; one column per label, matched by name when the file has "
                        "names): audit them instead of running --model")
    p.add_argument("--report", metavar="HTML", help="write the audit as an HTML report")
    p.add_argument("--export-clean", metavar="FILE",
                   help="write the data with the suggested edits applied, in DATA's layout "
                        "(format from FILE's extension)")
    p.add_argument("--fix-top", type=_positive_int, default=None, metavar="N",
                   help="apply only the N most confident suggested edits (default: all), "
                        "never one scored below --min-score")
    p.add_argument("--min-score", type=_probability, default=0.5, metavar="S",
                   help="lowest score of an edit applied by --export-clean (default: 0.5; "
                        "--min-score 0 with --fix-top N applies the top N whatever their score)")
    p.add_argument("--allow-empty-rows", action="store_true",
                   help="apply edits even when they leave a row without labels (default: such "
                        "an edit is skipped and reported)")
    p.add_argument("--undo", metavar="LOG",
                   help="reverse an export: read the edit log written next to it "
                        "(FILE.edits.json) and write the original data to -o")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="with --undo: where to write the restored data")
    p.add_argument("--top", type=_positive_int, default=20, metavar="N",
                   help="label issues to print (default: 20)")
    p.add_argument("--random-state", type=_seed, default=0, metavar="SEED")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N")
    p.set_defaults(func=run)


def run(args, console):
    try:
        from .. import insights
    except ImportError:
        insights = None
    if insights is None or not hasattr(insights, "audit"):
        raise CLIError("mlkit inspect needs mlkit.insights.audit, which this installation of "
                       "mlkit does not have.")
    if args.undo:
        return _undo(args, console)
    if args.data is None:
        raise CLIError("DATA is missing: mlkit inspect DATA (or --undo LOG -o FILE).")
    if args.output:
        raise CLIError("-o is for --undo; write the cleaned data with --export-clean FILE.")
    inputs = {"DATA": args.data}
    if args.base_model and os.path.exists(args.base_model):
        inputs["--base-model"] = args.base_model
    if args.proba:
        inputs["--proba"] = args.proba
    log = _log_path(args.export_clean) if args.export_clean else None
    _check_outputs(inputs, {"--report": args.report, "--export-clean": args.export_clean,
                            "(edit log)": log})
    ds = _read_labelled(args, console)
    console.info(_describe_dataset(ds))
    audit = _run_audit(insights, args, ds, console)
    summary = getattr(audit, "summary", None)
    if callable(summary):
        print(summary())
    _print_issues(audit, ds, args.top)
    if args.report:
        audit.to_html(args.report)
        console.info(f"wrote {args.report}")
    if args.export_clean:
        _export(audit, ds, args, log, console)
    return EXIT_OK


def _run_audit(insights, args, ds, console):
    kwargs = {"label_names": ds.label_names, "cv": args.cv, "random_state": args.random_state,
              "n_jobs": args.n_jobs}
    if _accepts(insights.audit, "verbose"):
        kwargs["verbose"] = console.tty and not console.quiet
    t0 = time.perf_counter()
    if args.proba:
        P = _read_proba(args.proba, ds.label_names)
        try:
            with console.spinner(f"auditing {len(ds):,} rows (out-of-fold probabilities from "
                                 f"{args.proba})"):
                audit = insights.audit(None, ds.texts, ds.Y, oof_proba=P, **kwargs)
        except ValueError as exc:
            raise CLIError(f"--proba {args.proba}: "
                           + str(exc).replace("oof_proba", "the file")) from None
    else:
        model = _make_model(args.model, args.base_model, random_state=args.random_state,
                            n_jobs=args.n_jobs, console=console)
        with console.spinner(f"auditing {len(ds):,} rows ({args.cv}-fold out-of-fold scores)"):
            audit = insights.audit(model, ds.texts, ds.Y, **kwargs)
    console.info(f"audited in {time.perf_counter() - t0:.1f} s")
    return audit


def _read_proba(path, label_names):
    """The probabilities of ``--proba``: an array, or a DataFrame with the file's column names."""
    if not os.path.isfile(path):
        raise CLIError(f"--proba {path}: no such file.")
    if str(path).lower().endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CLIError(f"--proba {path}: not a NumPy .npy array of numbers ({exc}).") from None
    from ..io import read_table

    frame, fmt = read_table(path)
    names = [str(n) for n in label_names]
    columns = [str(c) for c in frame.columns]
    if columns == [str(j) for j in range(len(columns))]:
        frame.columns = range(len(columns))  # pandas' default header 0, 1, ...: label order
    elif fmt in ("csv", "tsv") and not set(columns) & set(names) and _numbers(columns):
        # no header: the first line is a row of probabilities
        frame, fmt = read_table(path, header=False)
        frame.columns = range(frame.shape[1])
    try:
        return frame.apply(lambda col: col.astype(np.float64)) if len(frame) else frame
    except (TypeError, ValueError):
        raise CLIError(f"--proba {path}: every cell must be a number (a probability in "
                       "[0, 1]); the file has non-numeric cells.") from None


def _numbers(cells):
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


def _print_issues(audit, ds, top):
    from ..insights._audit import LOW_CONFIDENCE_SUPPORT
    from ..insights._edits import ROW_NUMBERING

    issues = audit.label_issues
    n = len(issues)
    if not n:
        print("\nno suspicious label cell")
        return
    print(f"\nmost suspicious label cells ({min(top, n)} of {n:,}; {ROW_NUMBERING}; "
          f"low_confidence: label with fewer than {LOW_CONFIDENCE_SUPPORT} positive rows, "
          "ranked after confident issues of the same 0.1 score band):")
    shown = issues.head(top)
    columns = [c for c in ("row", "label", "kind", "score", "low_confidence", "given_labels")
               if c in shown]
    table = shown[columns].copy()
    if "low_confidence" in table:
        table["low_confidence"] = np.where(table["low_confidence"], "yes", "")
    if "given_labels" in table:
        table["given_labels"] = [
            ", ".join(v) if isinstance(v, (list, tuple)) else str(v)
            for v in table["given_labels"]]
    table["text"] = [_short(ds.texts[int(r)], 50) for r in shown["row"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def _log_path(export):
    return f"{export}.edits.json"


def _export(audit, ds, args, log, console):
    from ..insights._edits import APPLIED, ROW_NUMBERING, SKIPPED_EMPTY
    from ..io import write_dataset

    edits = audit.suggest_edits(top_n=args.fix_top, min_score=args.min_score)
    notes = []
    if args.fix_top is not None:
        rows, cols = audit.suggested_cells(args.fix_top, min_score=0.0)
        below = int(np.sum(audit.issue_scores[rows, cols] < args.min_score))
        if below:
            notes.append(f"{below:,} of the top {args.fix_top:,} suggestions scored below "
                         f"--min-score {args.min_score:g} and were not applied "
                         "(--min-score 0 applies them)")
    allow = bool(args.allow_empty_rows)
    status = edits.preview(ds.Y, label_names=ds.label_names, allow_empty=allow)["status"]
    skipped = int((status == SKIPPED_EMPTY).sum())
    if skipped:
        notes.append(f"{skipped:,} edit(s) skipped: each would have left a row without labels "
                     "(--allow-empty-rows applies them)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the skipped edits are the note above
        texts2, Y2, kept = edits.apply(ds.texts, ds.Y, label_names=ds.label_names,
                                       allow_empty=allow)
    kept = np.asarray(kept, dtype=np.int64)
    emptied = int(np.sum((np.asarray(Y2).sum(axis=1) == 0) & (ds.Y[kept].sum(axis=1) > 0)))
    if emptied and not args.allow_empty_rows:
        notes.append(f"{emptied:,} row(s) left without labels: {np.mean(ds.Y.sum(axis=1) == 0):.0%}"
                     " of DATA's rows have none, so 'no label' is a state this data uses")
    fmt = write_dataset(ds, args.export_clean, texts=texts2, Y=Y2, rows=kept)
    edits.write_log(log, ds.texts, ds.Y, label_names=ds.label_names, allow_empty=allow,
                    metadata=_read_options(ds, args.export_clean))
    changed = int(np.sum(np.asarray(Y2) != ds.Y[kept]))
    console.info(f"wrote {args.export_clean} ({fmt}, {len(kept):,} of {len(ds):,} rows kept, "
                 f"{changed:,} label cell(s) changed by {int((status == APPLIED).sum()):,} of "
                 f"{len(edits):,} edit(s)); edit log {log} ({ROW_NUMBERING}; undo: mlkit "
                 f"inspect --undo {log} -o FILE)")
    for note in notes:
        console.info(f"note: {note}")


def _read_options(ds, export):
    """How to read the export back for --undo (the layout it was written in)."""
    return {"export": os.path.basename(str(export)), "text_col": ds.text_col,
            "label_cols": list(ds.label_cols) if ds.label_cols else None,
            "labels_col": ds.labels_col, "sep": ds.sep,
            "label_names": [str(n) for n in ds.label_names]}


def _undo(args, console):
    from ..insights import Edits
    from ..insights._edits import APPLIED
    from ..io import read_dataset, write_dataset

    try:
        log = Edits.read_log(args.undo)
    except ValueError as exc:
        raise CLIError(f"--undo {args.undo}: {exc}") from None
    meta = log.get("metadata") or {}
    data = args.data or os.path.join(os.path.dirname(os.path.abspath(args.undo)),
                                     meta.get("export", ""))
    if not args.output:
        raise CLIError("--undo needs -o FILE: where to write the restored data.")
    _check_outputs({"DATA": data, "--undo": args.undo}, {"-o": args.output})
    ds = read_dataset(data, text_col=meta.get("text_col"), label_cols=meta.get("label_cols"),
                      labels_col=meta.get("labels_col"), sep=meta.get("sep") or ",",
                      label_names=meta.get("label_names"))
    if log["dropped"]:
        raise CLIError(f"--undo {args.undo}: the log drops rows, whose other columns a file "
                       "cannot get back; revert it in Python with Edits.revert.")
    try:
        texts, Y = Edits.revert(log, ds.texts, ds.Y, label_names=ds.label_names)
    except ValueError as exc:
        raise CLIError(f"--undo {args.undo}: {exc}") from None
    fmt = write_dataset(ds, args.output, texts=texts, Y=Y)
    n = sum(1 for e in log["edits"] if e["status"] == APPLIED)
    console.info(f"wrote {args.output} ({fmt}, {len(ds):,} rows): {n:,} label cell(s) of "
                 f"{data} set back to their original values, checked against the original "
                 "data's fingerprint")
    return EXIT_OK


def _short(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"
