"""Batch prediction at scale: data files, Dask DataFrames and Ray Datasets, part by part.

:func:`predict` is the one entry point. It predicts

* a **glob of data files** (Parquet, CSV, TSV or JSON Lines): one output file per input
  file, same base name, written atomically, so that a re-run skips the parts already
  done; on this process (``engine="local"``), or as one task per file on a Dask
  (``engine="dask"``) or Ray (``engine="ray"``) cluster, whose workers read their file,
  predict it batch by batch and write its output;
* a **Dask DataFrame**: a lazy DataFrame of predictions (``map_partitions``);
* a **Ray Dataset**: a lazy Dataset of predictions (``map_batches`` with an actor class).

Every worker loads the model file once (a per-process cache keyed by the file's path,
size and modification time; Ray actors load it in their constructor), never once per
partition, and predicts through :class:`mlkit.inference.Predictor`, so the decisions and
scores are those of ``mlkit predict`` and of the Python model. The output columns and
files are those of ``mlkit predict``, made by one writer, :class:`PredictionWriter`.
The workers read the model file and the data files themselves: on a cluster, both must
be at the same path on every worker (a shared file system). Dask and Ray are optional
extras (``pip install "mlkit[dask]"``, ``"mlkit[ray]"``), imported only when used.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write
from ._optional import import_optional
from .inference import Predictor, ranked_labels
from .io import (
    DataError,
    batch_texts,
    detect_format,
    find_text_column,
    iter_batches,
    require_columns,
)
from .persistence import load_model, read_metadata

__all__ = [
    "ENGINES",
    "OUTPUT_FORMATS",
    "PartResult",
    "PredictionWriter",
    "find_parts",
    "load_predictor",
    "part_output",
    "predict",
    "predict_frame",
    "write_predictions",
]

#: Where :func:`predict` runs the parts of a glob of files.
ENGINES = ("local", "dask", "ray")
#: Output formats of :class:`PredictionWriter` (and their file extensions).
OUTPUT_FORMATS = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
_SCORES = ("all", "predicted", "none")
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class _Options:
    """What every part needs; sent to the workers with each task."""

    text_col: str | None = None
    default_text_col: str | None = None
    id_col: str | None = None
    keep_cols: tuple = ()
    threshold: float | None = None
    top_k: int | None = None
    scores: str = "all"
    label_sep: str = ","
    batch_size: int = 2000
    format: str = "csv"
    input_format: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    trusted: Any = False


@dataclass
class PartResult:
    """What one part of :func:`predict` over files did.

    Parameters
    ----------
    source : str
        The input file.
    output : str
        The output file.
    status : {"done", "skipped", "failed"}
        ``"skipped"``: the output was already there, newer than the input and the model.
    n_rows : int, default=0
    n_labels_set : int, default=0
        Predicted labels, over all rows.
    seconds : float, default=0.0
        Time spent on the part by its worker (reading, predicting, writing).
    error : str, default=None
        Why a failed part failed.
    worker : str, default=""
        ``host:pid`` of the process that ran it.
    peak_rss_mb : float, default=None
        That process's peak resident memory so far (MiB), as the OS reports it.
    error_params : tuple of str, default=()
        The parameters the error names (:attr:`mlkit.io.DataError.params`).
    """

    source: str
    output: str
    status: str
    n_rows: int = 0
    n_labels_set: int = 0
    seconds: float = 0.0
    error: str | None = None
    worker: str = ""
    peak_rss_mb: float | None = field(default=None, repr=False)
    error_params: tuple = field(default=(), repr=False)


# ----------------------------------------------------------------------------- output

def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


class PredictionWriter:
    """Writes predictions as CSV, JSON Lines or Parquet: the columns of ``mlkit predict``.

    Each row holds its id, the kept input columns, ``labels`` (the predicted label names,
    best-scored first) and, with ``scores="all"``, every label's score (CSV and Parquet:
    one ``score_<label>`` column per label; JSON Lines: a ``scores`` object), with
    ``scores="predicted"`` only the predicted labels' scores (a ``scores`` column aligned
    with ``labels``: no column per label, for very large label sets), with
    ``scores="none"`` no scores. Scores are written with 6 decimals in CSV and JSON Lines.

    Parameters
    ----------
    file : file object
        A text file (CSV, JSON Lines) or a binary file (Parquet).
    format : {"csv", "jsonl", "parquet"}
    label_names : sequence of str
    keep_cols : sequence of str, default=()
        Input columns copied to the output.
    id_name : str, default="row"
        Name of the id column.
    scores : {"all", "predicted", "none"}, default="all"
    label_sep : str, default=","
        Separator of the label names (and of the predicted scores) in a CSV cell.
    """

    def __init__(self, file, format, label_names, *, keep_cols=(), id_name="row",
                 scores="all", label_sep=","):
        if format not in OUTPUT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(OUTPUT_FORMATS)}; got "
                             f"{format!r}.")
        if scores not in _SCORES:
            raise ValueError(f"scores must be one of {', '.join(_SCORES)}; got {scores!r}.")
        self.file, self.format, self.names = file, format, [str(n) for n in label_names]
        self.keep, self.id_name, self.scores, self.label_sep = (
            list(keep_cols), id_name, scores, label_sep)
        self._csv = self._parquet = None
        if format == "csv":
            self._csv = csv.writer(file, lineterminator="\n")
            header = [id_name, *self.keep, "labels"]
            if scores == "all":
                header += [f"score_{n}" for n in self.names]
            elif scores == "predicted":
                header.append("scores")
            self._csv.writerow(header)

    def write(self, ids, extra, decisions, scores):
        """Write one batch of rows.

        Parameters
        ----------
        ids : sequence
            One id per row.
        extra : dict of str to sequence
            The kept columns' values.
        decisions : array-like or sparse matrix of shape (n_rows, n_labels)
        scores : ndarray of shape (n_rows, n_labels)

        Returns
        -------
        n_labels_set : int
            Labels predicted in this batch.
        """
        ranked = _ranked_rows(decisions, scores)
        if self.format == "parquet":
            self._write_parquet(_prediction_table(ids, extra, ranked, scores, self.names,
                                                  id_name=self.id_name, keep_cols=self.keep,
                                                  scores=self.scores))
        else:
            for r, idx in enumerate(ranked):
                self._write_text_row(ids[r], [extra[c][r] for c in self.keep], idx, scores[r])
        return int(sum(len(idx) for idx in ranked))

    def _write_text_row(self, row_id, kept, idx, s):
        labels = [self.names[j] for j in idx]
        if self._csv is not None:
            row = [row_id, *kept, self.label_sep.join(labels)]
            if self.scores == "all":
                row += [f"{float(v):.6f}" for v in s]
            elif self.scores == "predicted":
                row.append(self.label_sep.join(f"{float(s[j]):.6f}" for j in idx))
            self._csv.writerow(row)
            return
        record = {self.id_name: _plain(row_id)}
        record.update({c: _plain(v) for c, v in zip(self.keep, kept, strict=True)})
        record["labels"] = labels
        if self.scores != "none":
            pairs = zip(self.names, s, strict=True) if self.scores == "all" else (
                (self.names[j], s[j]) for j in idx)
            record["scores"] = {n: round(float(v), 6) for n, v in pairs}
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _write_parquet(self, frame):
        pa = import_optional("pyarrow", purpose="Writing Parquet files")
        pq = import_optional("pyarrow.parquet", purpose="Writing Parquet files")
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._parquet is None:
            # list columns typed here: a first batch without any label would say list<null>
            lists = {"labels": pa.list_(pa.string()), "scores": pa.list_(pa.float64())}
            schema = pa.schema([pa.field(f.name, lists.get(f.name, f.type))
                                for f in table.schema])
            self._parquet = pq.ParquetWriter(self.file, schema)
        self._parquet.write_table(table.cast(self._parquet.schema))

    def close(self):
        """Finish the file (the Parquet footer); the file itself stays open.

        Returns
        -------
        None
        """
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None


def _ranked_rows(decisions, scores):
    """Per row, the column indices of its predicted labels, best-scored first."""
    if hasattr(decisions, "tocsr"):
        D = decisions.tocsr()
        return [_ranked_sparse(D.indices[D.indptr[r]:D.indptr[r + 1]],
                                     D.data[D.indptr[r]:D.indptr[r + 1]], scores[r])
                for r in range(D.shape[0])]
    D = np.asarray(decisions)
    return [ranked_labels(D[r], scores[r]) for r in range(D.shape[0])]


def _ranked_sparse(indices, values, row_scores):
    """The predicted columns of one sparse row, best-scored first (as ``ranked_labels``)."""
    idx = np.sort(np.asarray(indices)[np.asarray(values) != 0])
    return idx[np.argsort(-np.asarray(row_scores)[idx], kind="stable")]


def _prediction_table(ids, extra, ranked, S, names, *, id_name="row", keep_cols=(),
                      scores="all", index=None):
    """The predictions of one batch as a pandas DataFrame (Parquet, Dask and Ray outputs)."""
    pd = import_optional("pandas", purpose="Batch prediction")
    columns = {}
    if ids is not None:
        columns[id_name] = list(ids)
    for c in keep_cols:
        columns[c] = list(extra[c])
    columns["labels"] = [[names[j] for j in idx] for idx in ranked]
    if scores == "all":
        for j, n in enumerate(names):
            columns[f"score_{n}"] = np.asarray(S[:, j], dtype=np.float64)
    elif scores == "predicted":
        columns["scores"] = [[float(S[r, j]) for j in idx] for r, idx in enumerate(ranked)]
    return pd.DataFrame(columns, index=index)


# ----------------------------------------------------------------------------- model cache

_MODELS: dict = {}  # per process: (path, size, mtime_ns, trusted) -> (Predictor, manifest)


def load_predictor(model, *, trusted=False):
    """The :class:`~mlkit.inference.Predictor` of a model file, loaded once per process.

    A worker process keeps the last model it loaded, keyed by the file's real path, size
    and modification time (and ``trusted``): every partition or file after the first
    reuses it, and a model file replaced on disk is loaded again.

    Parameters
    ----------
    model : str or os.PathLike
        A model file (``mlkit train``, :func:`mlkit.persistence.save_model`).
    trusted : bool or list of str, default=False
        As :func:`mlkit.persistence.load_model`.

    Returns
    -------
    predictor : Predictor
    manifest : dict
        The model file's manifest (:func:`mlkit.persistence.read_metadata`).
    """
    path = os.path.realpath(os.fspath(model))
    try:
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns,
               trusted if isinstance(trusted, bool) else tuple(trusted))
    except OSError:
        key = None
    if key is not None and key in _MODELS:
        return _MODELS[key]
    estimator, manifest = load_model(path, trusted=trusted, with_metadata=True)
    loaded = (Predictor(estimator, manifest.get("label_names")), manifest)
    _MODELS.clear()  # one model per worker: a long-lived worker does not collect them
    if key is not None:
        _MODELS[key] = loaded
    return loaded


# ----------------------------------------------------------------------------- one stream

def _resolve_columns(frame, opts, source):
    """(text column, id column or None) of the first batch; checks the kept columns."""
    if opts.text_col is not None:
        text_col = find_text_column(frame, opts.text_col, source=source)
    elif opts.default_text_col is not None and opts.default_text_col in frame.columns:
        text_col = opts.default_text_col
    else:
        text_col = find_text_column(frame, None, source=source)
    id_col = None
    if opts.id_col:
        require_columns(frame.columns, opts.id_col, param="id_col", source=source)
        id_col = opts.id_col
    else:
        id_col = next((c for c in frame.columns if str(c).lower() == "id"), None)
    require_columns(frame.columns, list(opts.keep_cols), param="keep_cols", source=source)
    return text_col, id_col


def write_predictions(predictor, source, file, *, progress=None, **options):
    """Predict every row of one data file, batch by batch, into an open output file.

    This is ``mlkit predict`` for one file; memory is bounded by ``batch_size`` times
    the number of labels, whatever the file's size.

    Parameters
    ----------
    predictor : Predictor
    source : str, os.PathLike or "-"
        A data file (see :func:`mlkit.io.iter_batches`).
    file : file object
        Where to write (text mode for CSV and JSON Lines, binary for Parquet).
    progress : callable, default=None
        Passed to :func:`mlkit.io.iter_batches`.
    **options
        ``text_col``, ``default_text_col`` (used when present and ``text_col`` is
        None), ``id_col``, ``keep_cols``, ``threshold``, ``top_k``, ``scores``,
        ``label_sep``, ``batch_size``, ``format``, ``input_format``, ``encoding``,
        ``header``: as :func:`predict`.

    Returns
    -------
    n_rows : int
    n_labels_set : int
    """
    opts = _options(**options)
    return _write_stream(predictor, source, file, opts, progress)


def _write_stream(predictor, source, file, opts, progress=None):
    n_rows = n_set = 0
    writer = None
    for batch in iter_batches(source, batch_size=opts.batch_size, format=opts.input_format,
                              encoding=opts.encoding, header=opts.header, progress=progress):
        if writer is None:
            text_col, id_col = _resolve_columns(batch, opts, source)
            writer = PredictionWriter(file, opts.format, predictor.label_names,
                                      keep_cols=opts.keep_cols, id_name=id_col or "row",
                                      scores=opts.scores, label_sep=opts.label_sep)
        texts = batch_texts(batch, text_col, source)
        D, S = predictor.predict(texts, threshold=opts.threshold, top_k=opts.top_k,
                                 sparse=True)
        ids = batch[id_col].tolist() if id_col else [int(i) + 1 for i in batch.index]
        n_set += writer.write(ids, {c: batch[c].tolist() for c in opts.keep_cols}, D, S)
        n_rows += len(texts)
        if opts.format != "parquet":
            file.flush()
    if writer is not None:
        writer.close()
    return n_rows, n_set


def _options(**options):
    unknown = sorted(set(options) - set(_Options.__dataclass_fields__))
    if unknown:
        raise TypeError(f"Unknown option(s) {', '.join(unknown)}; the options are "
                        f"{', '.join(_Options.__dataclass_fields__)}.")
    if "keep_cols" in options:
        keep = options["keep_cols"]
        options["keep_cols"] = tuple([keep] if isinstance(keep, str) else keep or ())
    opts = _Options(**options)
    if opts.format not in OUTPUT_FORMATS:
        raise ValueError(f"format={opts.format!r} is not an output format; choose one of "
                         f"{', '.join(OUTPUT_FORMATS)}.")
    if opts.scores not in _SCORES:
        raise ValueError(f"scores={opts.scores!r}; choose one of {', '.join(_SCORES)}.")
    if not isinstance(opts.batch_size, int) or opts.batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {opts.batch_size!r}.")
    if opts.label_sep == "":
        raise ValueError("label_sep is empty: the label names would run together; give a "
                         "separator such as ',' or '|'.")
    return opts


# ----------------------------------------------------------------------------- files

def _strip_data_suffixes(name):
    stem = Path(name)
    while stem.suffix.lower() in (".gz", ".bz2", ".xz"):
        stem = stem.with_suffix("")
    if detect_format(stem.name) is not None:
        stem = stem.with_suffix("")
    return stem.name


def find_parts(data):
    """The data files of a glob, a directory or one file, sorted, all of one format.

    Parameters
    ----------
    data : str or os.PathLike
        A glob (``"data/*.parquet"``, ``"data/**/*.csv"``), a directory (its data files:
        CSV, TSV, JSON Lines, Parquet, possibly compressed) or one data file.

    Returns
    -------
    parts : list of str

    Raises
    ------
    DataError
        Nothing matches; a match is not a data file; the files are of several formats;
        two files have the same base name (their outputs would collide).
    """
    data = os.fspath(data)
    if os.path.isfile(data):
        found = [data]
    elif os.path.isdir(data):
        found = sorted(str(p) for p in Path(data).iterdir()
                       if p.is_file() and not p.name.startswith(".")
                       and detect_format(p.name) is not None)
    else:
        found = sorted(p for p in glob.glob(data, recursive=True) if os.path.isfile(p))
    if not found:
        what = "matches no file" if _GLOB_CHARS & set(data) or not os.path.isdir(data) else (
            "holds no data file (.csv, .tsv, .jsonl, .parquet)")
        raise DataError(f"data={data!r} {what}; give a glob such as 'data/*.parquet' (quoted "
                        "so that the shell does not expand it), a directory or a file.",
                        param="data")
    formats = {}
    for p in found:
        formats.setdefault(detect_format(p), []).append(p)
    if None in formats:
        raise DataError(f"{formats[None][0]} (matched by data={data!r}) is not a data file: "
                        "its extension is not one of .csv, .tsv, .jsonl, .parquet; narrow the "
                        "glob (e.g. '*.parquet').", param="data")
    if len(formats) > 1:
        shown = "; ".join(f"{fmt}: {len(ps)} (e.g. {ps[0]})" for fmt, ps in formats.items())
        raise DataError(f"data={data!r} matches files of several formats ({shown}); predict "
                        "one format at a time with a narrower glob such as '*.parquet'.",
                        param="data")
    seen = {}
    for p in found:
        stem = _strip_data_suffixes(p)
        if stem in seen:
            raise DataError(f"{seen[stem]} and {p} have the same base name {stem!r}: their "
                            "outputs would be one file; predict them separately.",
                            param="data")
        seen[stem] = p
    return found


def part_output(source, output_dir, format="csv"):
    """The output file of one input part: same base name, ``format``'s extension.

    Parameters
    ----------
    source : str or os.PathLike
    output_dir : str or os.PathLike
    format : {"csv", "jsonl", "parquet"}, default="csv"

    Returns
    -------
    path : str
    """
    return os.path.join(os.fspath(output_dir),
                        _strip_data_suffixes(os.fspath(source)) + OUTPUT_FORMATS[format])


def _is_done(source, output, model):
    """An output is finished when it exists (it is written atomically) and is newer than
    its input and the model (else the input or the model changed since)."""
    try:
        out = os.stat(output).st_mtime_ns
        return out >= os.stat(source).st_mtime_ns and out >= os.stat(model).st_mtime_ns
    except OSError:
        return False


def _peak_rss_mb():
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _predict_part(model, source, output, opts):
    """Read, predict and write one part (runs on a worker); a bad part is reported, not
    raised, so that the other parts go on."""
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        predictor, _ = load_predictor(model, trusted=opts.trusted)
        binary = opts.format == "parquet"
        with atomic_write(output, "wb" if binary else "w",
                          encoding=None if binary else "utf-8",
                          newline=None if binary else "") as f:
            n_rows, n_set = _write_stream(predictor, source, f, opts)
    except (DataError, UnicodeError, ValueError, OSError) as exc:
        if isinstance(exc, UnicodeError):
            exc = DataError(f"{source} is not valid {opts.encoding} text ({exc}); give its "
                            "encoding with encoding=.", param="encoding")
        return PartResult(str(source), str(output), "failed", worker=worker,
                          error=str(exc) if isinstance(exc, DataError) else (
                              f"{type(exc).__name__}: {exc}"),
                          peak_rss_mb=_peak_rss_mb(),
                          error_params=getattr(exc, "params", ()))
    return PartResult(str(source), str(output), "done", n_rows, n_set,
                      time.perf_counter() - started, worker=worker, peak_rss_mb=_peak_rss_mb())


def _run_local(jobs, model, opts, on_part, **_):
    for source, output in jobs:
        on_part(_predict_part(model, source, output, opts))


#: Settings of the local Dask cluster that :func:`predict` starts for a run: its
#: processes wake up less often for bookkeeping that a batch run without a dashboard
#: does not use (the event-loop health tick, the statistical profiler, the system and
#: memory monitors), which leaves the CPU to the predicting workers. On 2 cores, 300,000
#: texts: 9,400 texts/s per worker with these against 8,670 without (one local process:
#: 10,500); see benchmarks/RESULTS_scale.md. A cluster given by ``address`` keeps its own
#: settings (docs/scale.md shows how to set the same ones).
BATCH_DASK_CONFIG = {
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _local_dask_cluster(n_workers):
    """The local Dask cluster of a batch run: ``n_workers`` single-threaded worker
    processes with :data:`BATCH_DASK_CONFIG`.

    On POSIX systems the scheduler and each worker are processes of their own, started
    by ``distributed``'s ``SubprocessCluster`` without nannies (the shape of a real
    cluster: the scheduler does not share this process, and no nanny process per worker
    competes for the cores); they inherit the configuration through dask's
    ``DASK_INTERNAL_INHERIT_CONFIG`` variable, set while they start. Elsewhere (Windows,
    where ``SubprocessCluster`` does not run) a ``LocalCluster``, whose nannies hand the
    configuration to the workers they start. A worker that dies is not restarted:
    its parts go to the others, and a re-run skips the finished parts.
    """
    import logging

    import dask

    distributed = import_optional("distributed", extra="dask", purpose="engine='dask'")
    with dask.config.set(BATCH_DASK_CONFIG):
        if os.name != "posix":
            return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None,
                                            silence_logs=logging.ERROR)
        import tempfile
        import uuid

        from distributed.deploy.subprocess import SubprocessCluster

        key = "DASK_INTERNAL_INHERIT_CONFIG"
        before = os.environ.get(key)
        os.environ[key] = dask.config.serialize(dask.config.global_config)
        # the scheduler writes its address to this file once, as it starts; distributed
        # leaves it behind, so it is removed here once the cluster has read it
        scheduler_file = os.path.join(tempfile.gettempdir(),
                                      f"mlkit-dask-scheduler-{uuid.uuid4().hex}.json")
        try:
            return SubprocessCluster(n_workers=n_workers, threads_per_worker=1,
                                     worker_class="distributed.Worker",
                                     scheduler_kwargs={"scheduler_file": scheduler_file},
                                     dashboard_address=None, silence_logs=logging.ERROR)
        finally:
            if before is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = before
            with contextlib.suppress(OSError):
                os.remove(scheduler_file)


def _run_dask(jobs, model, opts, on_part, *, address=None, n_workers=2, resources=None, **_):
    distributed = import_optional("distributed", extra="dask", purpose="engine='dask'")
    cluster = None
    if address is None:
        cluster = _local_dask_cluster(n_workers)
    client = distributed.Client(address if cluster is None else cluster)
    if cluster is not None:  # its workers start in the background
        client.wait_for_workers(n_workers, timeout=120)
    try:
        futures = [client.submit(_predict_part, model, source, output, opts, pure=False,
                                 resources=resources, key=f"mlkit-part-{i}-{time.time_ns()}")
                   for i, (source, output) in enumerate(jobs)]
        for future in distributed.as_completed(futures):
            on_part(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _start_ray(address, n_workers):
    """Connect to (or start) Ray; return (ray, whether this call started it)."""
    ray = import_optional("ray", extra="ray", purpose="engine='ray'")
    if ray.is_initialized():
        return ray, False
    if address is None:
        ray.init(num_cpus=n_workers, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    else:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    return ray, True


def _run_ray(jobs, model, opts, on_part, *, address=None, n_workers=2, num_gpus=None, **_):
    ray, started = _start_ray(address, n_workers)
    try:
        # max_calls=0: a worker process is reused by the next part (the model stays loaded),
        # also for GPU tasks, whose default would start a new process for each part
        task = ray.remote(num_cpus=1, num_gpus=num_gpus or 0, max_calls=0)(_predict_part)
        pending = [task.remote(model, source, output, opts) for source, output in jobs]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            on_part(ray.get(done[0]))
    finally:
        if started:
            ray.shutdown()


_RUNNERS = {"local": _run_local, "dask": _run_dask, "ray": _run_ray}


def _predict_files(model, data, output_dir, opts, *, engine, redo, on_part, **engine_options):
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r}; choose one of {', '.join(ENGINES)}.")
    if output_dir is None:
        raise TypeError("Predicting files needs output_dir=, the directory that receives one "
                        "output file per input file.")
    output_dir = os.fspath(output_dir)
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise DataError(f"output_dir={output_dir!r} is a file; predictions of a glob of files "
                        "go to a directory (one output file per input file): give a "
                        "directory.", param="output_dir")
    parts = find_parts(data)
    manifest = read_metadata(model)  # the driver checks the file before any worker starts
    opts = _with_default_text_col(opts, manifest)
    os.makedirs(output_dir, exist_ok=True)
    jobs, results = [], []
    for source in parts:
        output = part_output(source, output_dir, opts.format)
        if os.path.exists(output) and os.path.samefile(output, source):
            raise DataError(f"The output of {source} would be {output}, the input itself; "
                            "choose another output_dir= or format=.", param="output_dir")
        if not redo and _is_done(source, output, model):
            results.append(PartResult(source, output, "skipped"))
            on_part(results[-1])
        else:
            jobs.append((source, output))

    def collect(result):
        results.append(result)
        on_part(result)

    if jobs:
        _RUNNERS[engine](jobs, os.path.realpath(model), opts, collect, **engine_options)
    _raise_failed([r for r in results if r.status == "failed"])
    order = {source: i for i, source in enumerate(parts)}
    return sorted(results, key=lambda r: order[r.source])


def _with_default_text_col(opts, manifest):
    """The model's training text column is the default (used when the data has it)."""
    from dataclasses import replace

    col = (manifest.get("training_data") or {}).get("text_col")
    if opts.text_col is not None or opts.default_text_col is not None or not col:
        return opts
    return replace(opts, default_text_col=col)


def _raise_failed(failed):
    if not failed:
        return
    shown = "; ".join(f"{r.source}: {r.error}" for r in failed[:3])
    more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
    params = [p for r in failed for p in r.error_params]
    raise DataError(f"{len(failed)} part(s) failed: {shown}{more}. The other parts are "
                    "written; fix these and run again: finished parts are skipped.",
                    params=params)


# ----------------------------------------------------------------------------- frames

def predict_frame(predictor, frame, **options):
    """The predictions of a pandas DataFrame, as a DataFrame with the same index.

    This is what each partition of a Dask DataFrame and each batch of a Ray Dataset
    goes through: the texts are predicted ``batch_size`` rows at a time.

    Parameters
    ----------
    predictor : Predictor
    frame : pandas.DataFrame
    **options
        As :func:`predict` (``text_col``, ``id_col``, ``keep_cols``, ``threshold``,
        ``top_k``, ``scores``, ``batch_size``).

    Returns
    -------
    predictions : pandas.DataFrame
        Columns: ``id_col`` (when given), ``keep_cols``, ``labels`` (a list of label names
        per row, best-scored first), then ``score_<label>`` per label
        (``scores="all"``), or ``scores``, a list aligned with ``labels``
        (``scores="predicted"``).
    """
    return _frame(predictor, frame, _options(**options))


def _frame(predictor, frame, opts, source="the DataFrame"):
    pd = import_optional("pandas", purpose="Batch prediction")
    names = predictor.label_names
    if opts.text_col is not None:
        text_col = find_text_column(frame, opts.text_col, source=source)
    elif opts.default_text_col is not None and opts.default_text_col in frame.columns:
        text_col = opts.default_text_col
    else:
        text_col = find_text_column(frame, None, source=source) if len(frame) else None
    if opts.id_col:
        require_columns(frame.columns, opts.id_col, param="id_col", source=source)
    require_columns(frame.columns, list(opts.keep_cols), param="keep_cols", source=source)
    pieces = []
    for start in range(0, len(frame), opts.batch_size):
        batch = frame.iloc[start:start + opts.batch_size]
        D, S = predictor.predict(batch_texts(batch, text_col, source), threshold=opts.threshold,
                                 top_k=opts.top_k, sparse=True)
        pieces.append(_prediction_table(
            batch[opts.id_col].tolist() if opts.id_col else None,
            {c: batch[c].tolist() for c in opts.keep_cols}, _ranked_rows(D, S), S, names,
            id_name=opts.id_col, keep_cols=opts.keep_cols, scores=opts.scores,
            index=batch.index))
    if not pieces:
        return _empty_table(frame, names, opts)
    return pd.concat(pieces) if len(pieces) > 1 else pieces[0]


def _empty_table(frame, names, opts):
    empty = _prediction_table([] if opts.id_col else None, {c: [] for c in opts.keep_cols},
                              [], np.zeros((0, len(names))), names, id_name=opts.id_col,
                              keep_cols=opts.keep_cols, scores=opts.scores,
                              index=frame.index[:0])
    for c in [*([opts.id_col] if opts.id_col else []), *opts.keep_cols]:
        empty[c] = empty[c].astype(frame[c].dtype)
    empty["labels"] = empty["labels"].astype(object)
    return empty


def _predict_partition(frame, model, opts):
    predictor, _ = load_predictor(model, trusted=opts.trusted)
    return _frame(predictor, frame, opts)


class _RayPredictor:
    """A Ray Data actor: loads the model once, in its constructor, then predicts batches."""

    def __init__(self, model, opts):
        self.predictor, _ = load_predictor(model, trusted=opts.trusted)
        self.opts = opts

    def __call__(self, batch):
        return _frame(self.predictor, batch, self.opts).reset_index(drop=True)


def _predict_dask_frame(model, ddf, opts):
    names = [str(n) for n in read_metadata(model).get("label_names") or []]
    meta = _empty_table(ddf._meta, names, opts)
    return ddf.map_partitions(_predict_partition, os.path.realpath(model), opts, meta=meta,
                              enforce_metadata=False)


def _predict_ray_dataset(model, ds, opts, n_workers=2, num_gpus=None):
    read_metadata(model)
    ray_data = import_optional("ray.data", extra="ray", purpose="Predicting a Ray Dataset")
    # from 1 to n_workers actors: a fixed pool of n_workers on n_workers CPUs would leave
    # none for the tasks that read the data
    return ds.map_batches(_RayPredictor, fn_constructor_args=(os.path.realpath(model), opts),
                          batch_format="pandas", batch_size=opts.batch_size,
                          compute=ray_data.ActorPoolStrategy(min_size=1, max_size=n_workers),
                          num_gpus=num_gpus or None)


# ----------------------------------------------------------------------------- entry point

def predict(model, data, *, output_dir=None, engine="local", address=None, n_workers=2,
            redo=False, num_gpus=None, resources=None, on_part=None, **options):
    """Predict a glob of data files, a Dask DataFrame or a Ray Dataset, part by part.

    Parameters
    ----------
    model : str or os.PathLike
        A model file. Each worker loads it once (:func:`load_predictor`); on a
        cluster it must be readable at this path on every worker.
    data : str, os.PathLike, dask.dataframe.DataFrame or ray.data.Dataset
        A glob, a directory or a file (see :func:`find_parts`): predicted into
        ``output_dir``, one output file per input file. A Dask DataFrame or a Ray
        Dataset: predicted lazily, by its own engine (``engine`` is not used).
    output_dir : str or os.PathLike, default=None
        For files: the directory receiving the outputs (created if missing), named
        by :func:`part_output`.
    engine : {"local", "dask", "ray"}, default="local"
        For files: this process, one Dask task per file, or one Ray task per file.
    address : str, default=None
        The Dask scheduler (``"tcp://host:8786"``) or Ray cluster (``"auto"``,
        ``"ray://host:10001"``) to run on; None starts a local cluster of
        ``n_workers`` single-threaded worker processes for the run (Ray: or uses the
        Ray instance this process already started).
    n_workers : int, default=2
        Workers of a local cluster; for a Ray Dataset, the number of actors.
    redo : bool, default=False
        Predict every file again. Otherwise a file whose output exists and is newer
        than the file and the model is skipped (an output is written atomically, so
        an output that exists is complete).
    num_gpus : float, default=None
        Ray: GPUs per task or actor (embedding and transformer models then run on
        the GPU). For Dask, give ``resources={"GPU": 1}`` and start the workers with
        ``--resources GPU=1``.
    resources : dict, default=None
        Dask: resources each file's task needs.
    on_part : callable, default=None
        Called with each file's :class:`PartResult` as it finishes (or is skipped).
    **options
        ``text_col`` (default: the model's training text column when present, else
        detected), ``id_col``, ``keep_cols``, ``threshold``, ``top_k``, ``scores``
        (``"all"``, ``"predicted"``, ``"none"``), ``label_sep``, ``batch_size``
        (rows predicted at once; memory is bounded by it times the number of
        labels), ``format`` (output: ``"csv"``, ``"jsonl"``, ``"parquet"``),
        ``input_format``, ``encoding``, ``header``, ``trusted`` (as
        :func:`mlkit.persistence.load_model`).

    Returns
    -------
    result : list of PartResult, dask.dataframe.DataFrame or ray.data.Dataset
        For files, one :class:`PartResult` per file, in the files' order. Otherwise
        the lazy predictions (see :func:`predict_frame` for the columns).

    Raises
    ------
    DataError
        No file matches, mixed formats, ``output_dir`` is a file; after the run, when
        files failed (the others are written, and a re-run redoes only the failed ones).
    ImportError
        Dask or Ray is not installed; the message gives the ``pip install`` line.
    """
    opts = _options(**options)
    module = type(data).__module__
    if module.startswith("dask") and hasattr(data, "map_partitions"):
        return _predict_dask_frame(model, data, _with_default_text_col(
            opts, read_metadata(model)))
    if module.startswith("ray.data") and hasattr(data, "map_batches"):
        return _predict_ray_dataset(model, data, _with_default_text_col(
            opts, read_metadata(model)), n_workers, num_gpus)
    if not isinstance(data, (str, os.PathLike)):
        raise TypeError(f"data must be a glob or path of data files, a Dask DataFrame or a Ray "
                        f"Dataset; got {type(data).__name__}.")
    return _predict_files(model, data, output_dir, opts, engine=engine, redo=redo,
                          on_part=on_part or (lambda r: None), address=address,
                          n_workers=n_workers, num_gpus=num_gpus, resources=resources)
