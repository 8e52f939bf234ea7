"""Output, errors and exit statuses shared by the commands."""

import contextlib
import inspect
import json
import os
import sys
import threading
import time
import traceback

EXIT_OK = 0

EXIT_FAILURE = 1

EXIT_USAGE = 2

EXIT_INTERRUPTED = 130

_LOOPBACK = ("127.0.0.1", "localhost", "::1")

class CLIError(Exception):
    """A user error found by the command line itself (exit status 2)."""

class _Console:
    """Where notes, warnings and progress go (stderr), and whether to show them."""

    def __init__(self, quiet=False, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        try:
            self.tty = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        except (AttributeError, ValueError):
            self.tty = False
        self._line = False

    def info(self, message):
        if not self.quiet:
            self.clear()
            print(message, file=self.stream, flush=True)

    def warn(self, message):
        self.clear()
        print(f"mlkit: warning: {message}", file=self.stream, flush=True)

    def status(self, message):
        """Overwrite the progress line (terminal only)."""
        if self.tty and not self.quiet:
            width = 100
            self.stream.write("\r" + message[:width].ljust(width))
            self.stream.flush()
            self._line = True

    def clear(self):
        if self._line:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
            self._line = False

    @contextlib.contextmanager
    def spinner(self, message):
        """Show ``message`` with the elapsed time while the block runs (terminal only)."""
        if not (self.tty and not self.quiet):
            yield
            return
        stop = threading.Event()
        start = time.perf_counter()

        def tick():
            frames = "|/-\\"
            i = 0
            while not stop.wait(0.25):
                self.status(f"{frames[i % 4]} {message} {time.perf_counter() - start:.0f} s")
                i += 1

        thread = threading.Thread(target=tick, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.clear()

def _progress_bar(console, done, n_bytes, total, started):
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    if total and n_bytes is not None:  # readers that cannot count bytes pass None
        frac = min(n_bytes / total, 1.0)
        bar = "#" * int(frac * 30)
        console.status(f"[{bar:<30}] {frac:5.1%}  {done:,} rows  {rate:,.0f} rows/s")
    else:
        console.status(f"{done:,} rows  {rate:,.0f} rows/s")

def _fmt_size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover

def _shown(values, limit=10):
    values = [str(v) for v in values]
    text = ", ".join(values[:limit])
    return text + (f", ... ({len(values)} in all)" if len(values) > limit else "")

def _display(path):
    return "<stdin>" if path == "-" else str(path)

def _accepts(func, name):
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False

def _write_json(path, payload):
    from .._atomic import atomic_write
    from .._json import json_default

    text = json.dumps(payload, indent=2, allow_nan=True, default=json_default)
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")

def _expected_errors():
    from ..io import DataError
    from ..persistence import ModelFileError

    return (CLIError, DataError, ModelFileError)

# parameters that mlkit.io errors name (DataError.params) -> the flags that set them here
_PARAM_FLAGS = {
    "text_col": "--text-col",
    "label_cols": "--label-cols",
    "label_names": "--label-names",
    "labels_col": "--labels-col",
    "sep": "--sep",
    "format": "--input-format",
    "encoding": "--encoding",
    "header": "--no-header",
    "id_col": "--id-col",
    "keep_cols": "--keep-cols",
}

def _error_text(exc):
    """An exception's message in the words of the command line (flags, not parameters)."""
    from ..io import DataError

    if isinstance(exc, DataError):
        return exc.message_with(_PARAM_FLAGS)
    return str(exc)

def _fail(prog, exc, status, debug, console, hint=False, internal=False):
    console.clear()
    if debug:
        traceback.print_exc()
    message = " ".join(_error_text(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
        message = f"{exc.filename}: {message}"
    if internal:
        message = f"unexpected {type(exc).__name__}: {message}"
    if hint and not debug:
        message += " (run with --debug for the traceback)"
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    return status
