"""``python -m mlkit <command>``: a minimal command dispatcher.

Only ``demo`` exists for now. A full command line (train, evaluate, predict,
inspect, serve, demo) is planned; it will replace this module.
"""

import sys

__all__ = ["main"]

_USAGE = """\
usage: python -m mlkit <command> [options]

commands:
  demo    train the default TF-IDF model on the bundled GoEmotions data,
          print its evaluation on the test split and a few predictions

Run 'python -m mlkit <command> --help' for the options of a command.
"""

_COMMANDS = ("demo",)


def main(argv=None):
    """Run one ``python -m mlkit`` command and return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The command and its options; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success, 2 for a usage error.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        stream = sys.stdout if argv else sys.stderr
        stream.write(_USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        from mlkit._demo import main as demo_main

        return demo_main(rest)
    sys.stderr.write(
        f"mlkit: unknown command {command!r}; expected one of {list(_COMMANDS)}.\n\n{_USAGE}"
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
