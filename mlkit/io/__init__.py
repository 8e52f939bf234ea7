"""Reading and writing multi-label text datasets: CSV, TSV, JSON Lines and Parquet.

A dataset file holds one text per row and its labels in one of two layouts:

* **wide**: one 0/1 column per label, as in the Jigsaw toxic-comment file
  (``comment_text,toxic,severe_toxic,...``). Label columns are found
  automatically: every column, other than the text column and id-like or
  unnamed columns, whose values are all 0 or 1 (or true/false, yes/no);
* **tags**: one column holding each row's labels: names joined by a
  separator (``"crude,ship"``), or a list in JSON Lines and Parquet files (a
  JSON or Python list literal in CSV). A list of names gives those labels; a
  list of 0/1 values of one length gives one label per position
  (simpletransformers' ``labels`` column); a list of integer label ids needs
  the label names.

:func:`read_dataset` reads a whole file into a :class:`Dataset` (texts,
indicator matrix, label names and the layout it found), with an error that
says what is wrong and how to fix it for every bad input: a missing or empty
file, bytes that are not valid text in the encoding, an unknown column (the
message lists the available ones), a label value other than 0 or 1, a layout
that could be read two ways, duplicate column names (never renamed ``a.1``),
data rows wider than the header (never read as a row index), a 0/1 column
with empty cells. The choices made by rule are reported in
:attr:`Dataset.detected` and :attr:`Dataset.unused_cols` (and
:meth:`Dataset.describe`). :func:`iter_batches` reads a file in batches of
rows, so that prediction over a large file does not have to hold it in memory.
:func:`write_dataset` writes a dataset back, in its own layout and format,
with edited labels or a subset of rows (``mlkit inspect --export-clean``).

Errors are :class:`DataError`; their messages name the parameters of these
functions (``label_cols=``), listed in :attr:`DataError.params`, which a
client such as the command line translates to its own options with
:meth:`DataError.message_with`.

The path ``"-"`` reads standard input (the format is sniffed from the first
bytes unless given). Files ending in ``.gz``, ``.bz2`` or ``.xz`` are
decompressed. pandas is required (extra ``pandas``); Parquet also needs
pyarrow.

The package holds one concept per module: ``_files`` (formats, opening,
decoding), ``_errors`` (:class:`DataError`), ``_detect`` (layout and column
detection), ``_dataset`` (:class:`Dataset`), ``_read`` (:func:`read_table`,
:func:`read_dataset`), ``_stream`` (:func:`iter_batches`) and ``_write``
(:func:`write_table`, :func:`write_dataset`).
"""

from ._dataset import Dataset, dataset_fingerprint
from ._detect import find_text_column
from ._errors import DataError, require_columns
from ._files import FORMATS, detect_format
from ._read import read_dataset, read_table
from ._stream import batch_texts, iter_batches
from ._write import write_dataset, write_table

__all__ = [
    "FORMATS",
    "DataError",
    "Dataset",
    "batch_texts",
    "dataset_fingerprint",
    "detect_format",
    "find_text_column",
    "iter_batches",
    "read_dataset",
    "read_table",
    "require_columns",
    "write_dataset",
    "write_table",
]
