"""``mlkit inspect``."""

import os
import time

import numpy as np

from ._console import EXIT_OK, CLIError, _accepts
from ._options import _cv_folds, _data_options, _n_jobs, _positive_int, _seed
from ._paths import _check_outputs
from ._steps import _describe_dataset, _make_model, _read_labelled


def add_parser(sub, common):
    """The ``mlkit inspect`` sub-command."""
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
    from ..io import write_dataset

    inputs = {"DATA": args.data}
    if args.base_model and os.path.exists(args.base_model):
        inputs["--base-model"] = args.base_model
    _check_outputs(inputs, {"--report": args.report, "--export-clean": args.export_clean})
    model = _make_model(args.model, args.base_model, random_state=args.random_state,
                        n_jobs=args.n_jobs, console=console)
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
