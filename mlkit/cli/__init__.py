"""The ``mlkit`` command line: train, evaluate, predict, serve, inspect, compare, info, demo.

Run ``mlkit --help`` or ``mlkit COMMAND --help``; docs/cli.md has examples.

Conventions: results (tables, predictions written to stdout) go to stdout;
progress, notes and warnings go to stderr, and progress is shown only when
stderr is a terminal. Bad input (a missing or empty file, an unknown column,
bytes that are not text, a label value other than 0/1, a model file from
another program or a newer format, a bad option) prints one line
``mlkit COMMAND: error: ...`` on stderr and exits with status 2; ``--debug``
shows the traceback instead. A missing optional dependency exits with 1, an
interrupt with 130 (SIGTERM: 143, after the same cleanup). No command writes over one of
its inputs (see ``_paths``); files are written atomically (``mlkit._atomic``).
"""

import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings

from ._console import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, _Console, _expected_errors, _fail
from ._options import _common_options, _Parser

__all__ = ["main"]

_COMMANDS = ("_train", "_evaluate", "_predict", "_serve", "_inspect", "_info",
             "_demo_command", "_compare")


def _build_parser():
    import mlkit

    common = _common_options()
    parser = _Parser(
        prog="mlkit", parents=[common],
        description="Multi-label text classification from the command line: train a model on a "
                    "CSV/TSV/JSON Lines/Parquet file, evaluate it, predict, serve it over HTTP.",
        epilog="Run 'mlkit COMMAND --help' for a command's options. Documentation: docs/cli.md.",
    )
    parser.add_argument("--version", action="version",
                        version=f"mlkit {mlkit.__version__} (Python {sys.version.split()[0]})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub, common)
    return parser


EXIT_TERMINATED = 128 + 15


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup (temporary files) runs."""


@contextlib.contextmanager
def _terminate_as_interrupt():
    """While a command runs, turn SIGTERM into an exception (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "SIGTERM"):
        yield
        return

    def handler(signum, frame):
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None):
    """Run the ``mlkit`` command line and return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success, 1 on a failure (e.g. a missing optional dependency),
        2 on bad input or usage, 130 when interrupted, 143 on SIGTERM.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("mlkit: error: give a command (train, evaluate, predict, serve, inspect, compare, "
              "info, demo); see 'mlkit --help'", file=sys.stderr)
        return EXIT_USAGE
    debug = getattr(args, "debug", False)
    console = _Console(quiet=getattr(args, "quiet", False))
    prog = f"mlkit {args.command}"

    def show_warning(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if debug:
            text += f" [{category.__name__} at {filename}:{lineno}]"
        console.warn(text)

    with warnings.catch_warnings(), _terminate_as_interrupt():
        warnings.showwarning = show_warning
        warnings.simplefilter("default")  # each distinct warning once per location
        try:
            return args.func(args, console)
        except _Terminated:
            console.clear()
            print(f"{prog}: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            console.clear()
            print(f"{prog}: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            # the reader of stdout (e.g. `head`) stopped reading: not an error
            with contextlib.suppress(OSError):
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            return 0
        except _expected_errors() as exc:
            return _fail(prog, exc, EXIT_USAGE, debug, console)
        except ImportError as exc:
            return _fail(prog, exc, EXIT_FAILURE, debug, console)
        except (ValueError, TypeError, OSError) as exc:
            return _fail(prog, exc, EXIT_USAGE, debug, console, hint=True)
        except Exception as exc:  # a bug: say so in one line, traceback with --debug
            return _fail(prog, exc, EXIT_FAILURE, debug, console, hint=True, internal=True)
