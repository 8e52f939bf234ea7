"""``mlkit predict``."""

import contextlib
import os
import sys
import time

from ._console import EXIT_OK, CLIError, _progress_bar
from ._options import _decision_options, _input_options, _positive_int, _trust_option
from ._paths import _check_output_dir, _check_outputs
from ._steps import _check_decision, _load_model, _rule_text


def add_parser(sub, common):
    """The ``mlkit predict`` sub-command."""
    p = sub.add_parser(
        "predict", parents=[common], help="predict the labels of every row of a data file",
        description="Predict label names and probabilities for every row of DATA, reading and "
                    "writing in batches so that large files need little memory.")
    p.add_argument("model", metavar="MODEL", help="model file or checkpoint folder")
    p.add_argument("data", metavar="DATA",
                   help="data file with a text column, '-' for stdin, or (one output file per "
                        "input file, in the directory -o) a quoted glob such as "
                        "'data/*.parquet'")
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
                     help="output file (default: stdout); for a glob or --engine "
                          "dask/ray, the output directory (created if missing)")
    out.add_argument("--format", choices=("csv", "jsonl", "parquet"), default=None,
                     help="output format (default: from OUT's extension, else csv)")
    out.add_argument("--label-sep", default=",", metavar="SEP",
                     help="separator of the label names in the CSV 'labels' column "
                          "(default: ',')")
    out.add_argument("--no-scores", action="store_true",
                     help="write only the predicted labels, not every label's score")
    out.add_argument("--sparse", action="store_true",
                     help="write only the predicted labels' scores (a 'scores' column aligned "
                          "with 'labels'), not one column per label: for very large label "
                          "sets")
    out.add_argument("--batch-size", type=_positive_int, default=2000, metavar="N",
                     help="rows per batch (default: 2000)")
    _trust_option(p)
    _scale_options(p)
    p.set_defaults(func=run)


def _scale_options(p):
    scale = p.add_argument_group(
        "many files, clusters",
        "With a glob as DATA (or --engine dask/ray), each input file is "
        "predicted into its own output file in the directory -o (same base name), written "
        "atomically; a re-run skips the files whose output is newer than the input and "
        "the model. See docs/scale.md.")
    scale.add_argument("--engine", choices=("local", "dask", "ray"), default="local",
                       help="where the files are predicted: this process (default), one "
                            "Dask task or one Ray task per file (pip install "
                            "\"mlkit[dask]\" / \"mlkit[ray]\")")
    scale.add_argument("--address", metavar="ADDR",
                       help="the Dask scheduler (tcp://host:8786) or Ray cluster (auto, "
                            "ray://host:10001); default: start a local cluster for the run")
    scale.add_argument("--workers", type=_positive_int, default=2, metavar="N",
                       help="worker processes of the local cluster started without "
                            "--address (default: 2)")
    scale.add_argument("--gpus-per-worker", type=float, default=None, metavar="G",
                       help="Ray: GPUs each file's task needs (embedding and transformer "
                            "models then run on the GPU)")
    scale.add_argument("--redo", action="store_true",
                       help="predict every file again, even those whose output is up to date")


def run(args, console):
    if _many_parts(args):
        return _run_parts(args, console)
    from .._atomic import atomic_write
    from ..batch import write_predictions
    from ..inference import Predictor
    from ..io import DataError

    fmt = _output_format(args, args.output)
    _check_outputs({"MODEL": args.model, "DATA": args.data}, {"-o": args.output})
    if fmt == "parquet" and args.output == "-":
        raise CLIError("--format parquet is binary and cannot go to stdout; give the output "
                       "file with -o.")
    _check_output_options(args)
    estimator, manifest = _load_model(args.model, args, console)
    _check_decision(args, estimator)
    predictor = Predictor(estimator, manifest.get("label_names"))
    options = _options(args, manifest, fmt)
    started = time.perf_counter()

    def progress(done, n_bytes, total):
        # Parquet batches report rows, not bytes (n_bytes None): no fraction then
        _progress_bar(console, done, n_bytes, total if n_bytes is not None else None, started)

    try:
        if args.output == "-":
            n_rows, n_set = write_predictions(predictor, args.data, sys.stdout,
                                              progress=progress, **options)
        else:
            binary = fmt == "parquet"
            with atomic_write(args.output, "wb" if binary else "w",
                              encoding=None if binary else "utf-8",
                              newline=None if binary else "") as f:
                n_rows, n_set = write_predictions(predictor, args.data, f, progress=progress,
                                                  **options)
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
                 f"{n_set / max(n_rows, 1):.2f} labels per row) -> {where}")
    return EXIT_OK


def _output_format(args, output):
    if args.format is not None:
        return args.format
    ext = os.path.splitext(output)[1].lower() if output != "-" else ""
    if ext in (".parquet", ".pq"):
        return "parquet"
    return "jsonl" if ext in (".jsonl", ".ndjson", ".json") else "csv"


def _check_output_options(args):
    """Contradictory or empty output options, refused before the model is loaded."""
    if args.label_sep == "":
        raise CLIError("--label-sep is empty: the label names would run together; give a "
                       "separator such as ',' or '|'.")
    if args.sparse and args.no_scores:
        raise CLIError("--sparse and --no-scores contradict each other: --sparse writes the "
                       "predicted labels' scores, --no-scores none; give one.")


def _options(args, manifest, fmt):
    """The options of mlkit.batch from the command line's."""
    training = manifest.get("training_data") or {}
    return {
        "text_col": args.text_col, "default_text_col": training.get("text_col"),
        "id_col": args.id_col,
        "keep_cols": [c.strip() for c in (args.keep_cols or "").split(",") if c.strip()],
        "threshold": args.threshold, "top_k": args.top_k,
        "scores": "none" if args.no_scores else "predicted" if args.sparse else "all",
        "label_sep": args.label_sep, "batch_size": args.batch_size, "format": fmt,
        "input_format": args.input_format, "encoding": args.encoding,
        "header": not args.no_header, "trusted": bool(args.trust_pickle),
    }


def _many_parts(args):
    """Whether DATA is predicted part by part into the directory -o."""
    data = args.data
    if args.engine != "local":
        return True
    if data == "-" or os.path.exists(data):
        # a directory is refused as a data file (its files are predicted with a glob,
        # 'dir/*.parquet', or with --engine dask/ray)
        return False
    return any(c in data for c in "*?[")


def _run_parts(args, console):
    from .. import batch
    from ..persistence import read_metadata

    if args.data == "-":
        raise CLIError(f"--engine {args.engine} reads files, not stdin; give a file, a glob "
                       "or a directory as DATA.")
    _check_output_dir("-o", args.output, args.data)
    _check_output_options(args)
    fmt = args.format or "csv"
    if args.threshold is not None or args.top_k is not None or args.engine == "local":
        # the driver loads the model only when it needs it (the workers load their own);
        # through the per-process cache, which the local engine then reuses
        with console.spinner(f"loading {args.model}"):
            predictor, manifest = batch.load_predictor(args.model,
                                                       trusted=bool(args.trust_pickle))
        _check_decision(args, predictor.estimator)
    else:
        manifest = read_metadata(args.model)
    options = _options(args, manifest, fmt)
    counts = {"done": 0, "skipped": 0, "failed": 0, "rows": 0, "labels": 0}
    started = time.perf_counter()

    def on_part(result):
        counts[result.status] += 1
        counts["rows"] += result.n_rows
        counts["labels"] += result.n_labels_set
        if result.status == "failed":
            console.warn(f"{result.source}: {_part_error(result)}")
        n = counts["done"] + counts["skipped"] + counts["failed"]
        console.status(f"{n:,} files ({counts['skipped']:,} skipped, already done)  "
                       f"{counts['rows']:,} rows")

    try:
        batch.predict(args.model, args.data, output_dir=args.output, engine=args.engine,
                      address=args.address, n_workers=args.workers, redo=args.redo,
                      num_gpus=args.gpus_per_worker, on_part=on_part, **options)
    finally:
        console.clear()
    elapsed = time.perf_counter() - started
    skipped = (f"; {counts['skipped']:,} skipped: their output is up to date (--redo to "
               "predict them again)") if counts["skipped"] else ""
    console.info(f"predicted {counts['rows']:,} rows of {counts['done']:,} files in "
                 f"{elapsed:.1f} s with engine {args.engine} ({_rule_text(args, manifest)}; "
                 f"{counts['labels'] / max(counts['rows'], 1):.2f} labels per row) -> "
                 f"{args.output}{skipped}")
    return EXIT_OK


def _part_error(result):
    from ..io import DataError
    from ._console import _PARAM_FLAGS

    return DataError(result.error, params=result.error_params).message_with(_PARAM_FLAGS)
