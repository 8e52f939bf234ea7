"""``mlkit predict``."""

import contextlib
import json
import os
import sys
import time

import numpy as np

from ._console import EXIT_OK, CLIError, _progress_bar
from ._options import _decision_options, _input_options, _positive_int, _trust_option
from ._paths import _check_outputs
from ._steps import _check_decision, _load_model, _rule_text


def add_parser(sub, common):
    """The ``mlkit predict`` sub-command."""
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
    p.set_defaults(func=run)


def run(args, console):
    from .._atomic import atomic_write
    from ..inference import Predictor
    from ..io import DataError, batch_texts, find_text_column, iter_batches, require_columns

    fmt = args.format
    if fmt is None:
        ext = os.path.splitext(args.output)[1].lower() if args.output != "-" else ""
        fmt = "jsonl" if ext in (".jsonl", ".ndjson", ".json") else "csv"
    _check_outputs({"MODEL": args.model, "DATA": args.data}, {"-o": args.output})
    if args.label_sep == "":
        raise CLIError("--label-sep is empty: the label names would run together; give a "
                       "separator such as ',' or '|'.")
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
        writer = None
        for batch in batches:
            if writer is None:
                text_col = _predict_text_col(args, batch, training, find_text_column)
                id_col = _predict_id_col(args, batch)
                require_columns(batch.columns, keep, param="keep_cols", source=args.data)
                writer = _RowWriter(f, fmt, names, keep, id_col, args)
            texts = batch_texts(batch, text_col, args.data)
            D, S = predictor.predict(texts, threshold=args.threshold, top_k=args.top_k)
            ids = (batch[id_col].tolist() if id_col else
                   [int(i) + 1 for i in batch.index])
            extra = {c: batch[c].tolist() for c in keep}
            n_labels_set += writer.write(ids, extra, D, S)
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
    except UnicodeError as exc:
        console.clear()
        raise CLIError(f"{args.data} is not valid {args.encoding} text ({exc}); give its "
                       "encoding with --encoding.") from exc
    console.clear()
    elapsed = time.perf_counter() - started
    where = "stdout" if args.output == "-" else args.output
    console.info(f"predicted {n_rows:,} rows in {elapsed:.1f} s ({_rule_text(args, manifest)}; "
                 f"{n_labels_set / max(n_rows, 1):.2f} labels per row) -> {where}")
    return EXIT_OK

class _RowWriter:
    """Writes predicted rows as JSON Lines or CSV: the row id, kept columns, the labels
    (best-scored first) and, unless --no-scores, every label's score (6 decimals)."""

    def __init__(self, f, fmt, names, keep, id_col, args):
        import csv

        self.f, self.fmt, self.names, self.keep = f, fmt, names, keep
        self.id_name = id_col or "row"
        self.scores = not args.no_scores
        self.label_sep = args.label_sep
        self.csv = None
        if fmt != "jsonl":
            self.csv = csv.writer(f, lineterminator="\n")
            header = [self.id_name, *keep, "labels"]
            if self.scores:
                header += [f"score_{n}" for n in names]
            self.csv.writerow(header)

    def write(self, ids, extra, D, S):
        """Write one batch; return the number of labels set in it."""
        from ..inference import ranked_labels

        n_set = 0
        for r in range(len(ids)):
            labels = [self.names[j] for j in ranked_labels(D[r], S[r])]
            n_set += len(labels)
            if self.csv is None:
                record = {self.id_name: _plain(ids[r])}
                record.update({c: _plain(extra[c][r]) for c in self.keep})
                record["labels"] = labels
                if self.scores:
                    record["scores"] = {n: round(float(v), 6)
                                        for n, v in zip(self.names, S[r], strict=True)}
                self.f.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                row = [ids[r], *(extra[c][r] for c in self.keep), self.label_sep.join(labels)]
                if self.scores:
                    row += [f"{float(v):.6f}" for v in S[r]]
                self.csv.writerow(row)
        return n_set


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value

def _predict_text_col(args, batch, training, find_text_column):
    if args.text_col is not None:
        return find_text_column(batch, args.text_col, source=args.data)
    col = training.get("text_col")
    if col and col in batch.columns:
        return col
    return find_text_column(batch, None, source=args.data)

def _predict_id_col(args, batch):
    if args.id_col:
        from ..io import require_columns

        require_columns(batch.columns, args.id_col, param="id_col", source=args.data)
        return args.id_col
    for c in batch.columns:
        if str(c).lower() == "id":
            return c
    return None
