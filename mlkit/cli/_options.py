"""Argument types and option groups shared by the commands' parsers."""

import argparse

from ._console import EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _number_type(convert, accept, expected):
    """An argparse type: ``convert`` the text, keep it when ``accept(number)``, else one
    error line ``expected <expected>, got '<text>'`` (exit status 2)."""

    def parse(value):
        try:
            number = convert(value)
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is None or not accept(number):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r}")
        return number

    return parse


_positive_int = _number_type(int, lambda n: n >= 1, "a positive integer")
_count = _number_type(int, lambda n: n >= 0, "an integer >= 0")
_positive_seconds = _number_type(float, lambda n: 0 < n < float("inf"),
                                 "a positive number of seconds")
_cv_folds = _number_type(int, lambda n: n >= 2, "an integer >= 2 (folds)")
_fraction = _number_type(float, lambda n: 0 < n < 1, "a number between 0 and 1")
_probability = _number_type(float, lambda n: 0 <= n <= 1, "a probability in [0, 1]")
_port = _number_type(int, lambda n: 0 <= n <= 65535, "a port number in 0..65535")
_n_jobs = _number_type(int, lambda n: n != 0,
                       "a non-zero integer (1, 2, ...; -1 for all CPUs)")
_seed = _number_type(int, lambda n: 0 <= n < 2**32, "an integer seed in 0..4294967295")
_positive_number = _number_type(float, lambda n: 0 < n < float("inf"), "a positive number")


def _freeze(value):
    """``--freeze``: none, encoder, or a number of epochs >= 1 (then unfrozen)."""
    if value in ("none", "encoder"):
        return value
    try:
        epochs = int(value)
    except (TypeError, ValueError):
        epochs = 0
    if epochs < 1:
        raise argparse.ArgumentTypeError(
            f"expected none, encoder, or a number of epochs >= 1 after which the encoder is "
            f"unfrozen; got {value!r}")
    return epochs


def _encoding(value):
    """A text encoding Python knows (``codecs.lookup``), refused when it is a bytes codec."""
    import codecs

    try:
        info = codecs.lookup(value)
    except (LookupError, TypeError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise argparse.ArgumentTypeError(
            f"unknown text encoding {value!r}; use e.g. utf-8, latin-1 or cp1252")
    return value


def _common_options():
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("general options")
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks and every warning")
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress or notes on stderr (warnings and errors still show)")
    return parent

def _data_options(parser, *, for_model=False):
    group = parser.add_argument_group(
        "data options",
        "How to read DATA (CSV, TSV, JSON Lines or Parquet; '-' reads stdin)."
        + (" Defaults come from the model's training data." if for_model else ""))
    group.add_argument("--text-col", metavar="COL",
                       help="column holding the texts (default: detected: 'text', "
                            "'comment_text', ..., else the column with the longest strings)")
    labels = group.add_mutually_exclusive_group()
    labels.add_argument("--label-cols", metavar="A,B,C",
                        help="the 0/1 label columns, comma-separated (default: every 0/1 column)")
    labels.add_argument("--labels-col", metavar="COL",
                        help="a column holding each row's label names, joined by --sep or as "
                             "a JSON list")
    group.add_argument("--sep", default=None, metavar="SEP",
                       help="separator of the label names in --labels-col (default: ',')")
    if not for_model:
        group.add_argument("--label-names", metavar="A,B,C",
                           help="the label names, in order: needed for a --labels-col of "
                                "integer label ids, and names 0/1 lists (default: label_0, ...)")
    _input_options(group)


def _training_options(parser):
    """The neural training options of ``mlkit train`` (None when not given)."""
    group = parser.add_argument_group(
        "neural training",
        "For --model transformer (fine-tuning); --model embeddings takes --batch-size, "
        "--max-length and --device (encoding). Default: the model's own values.")
    group.add_argument("--epochs", type=_positive_int, metavar="N",
                       help="passes over the training data (default: 3)")
    group.add_argument("--max-length", type=_positive_int, metavar="N",
                       help="most tokens per text; longer texts are truncated (default: 128)")
    group.add_argument("--learning-rate", type=_positive_number, metavar="LR",
                       help="peak learning rate of the encoder (default: 5e-05)")
    group.add_argument("--batch-size", type=_positive_int, metavar="N",
                       help="texts per training (or encoding) step (default: 32)")
    group.add_argument("--device", metavar="DEVICE",
                       help="auto (default: a GPU when torch sees one), cpu, cuda, cuda:1, mps")
    group.add_argument("--freeze", type=_freeze, metavar="HOW",
                       help="none (default: train everything), encoder (train the head only), "
                            "or N: the encoder frozen for the first N epochs, then trained")
    group.add_argument("--gradient-accumulation", type=_positive_int, metavar="N",
                       help="one optimizer step every N batches: an effective batch of "
                            "N x --batch-size texts (default: 1)")


def _input_options(group):
    group.add_argument("--input-format", choices=("csv", "tsv", "jsonl", "parquet"),
                       help="format of DATA (default: from its extension, or sniffed)")
    group.add_argument("--encoding", default="utf-8", type=_encoding,
                       help="text encoding of DATA (default: utf-8)")
    group.add_argument("--no-header", action="store_true",
                       help="the CSV/TSV file has no header line; columns are named 1, 2, ...")

def _decision_options(parser):
    group = parser.add_argument_group(
        "decision rule",
        "Default: the model's own rule (its tuned per-label thresholds).")
    group.add_argument("--threshold", type=_probability, metavar="P",
                       help="predict every label whose probability is above P")
    group.add_argument("--top-k", type=_positive_int, metavar="K",
                       help="predict the K best-scored labels of each text (with --threshold: "
                            "at most K above it)")

def _trust_option(parser):
    """The options about where MODEL may come from: --trust-pickle, --allow-download."""
    parser.add_argument(
        "--trust-pickle", action="store_true",
        help="allow model files stored with pickle. Loading a pickle RUNS CODE from the file: "
             "use only with files you made or trust")
    parser.add_argument(
        "--allow-download", action="store_true",
        help="MODEL may be a Hugging Face hub name that is not in the local cache: download "
             "it (without this, nothing is downloaded)")
