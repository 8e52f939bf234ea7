"""Output paths checked before any work: never over an input, never two outputs on one file.

Every command that writes files calls :func:`_check_outputs` first, with its inputs (the
DATA and MODEL files it reads) and its outputs (each with the flag that names it). A path
is compared by file identity (``os.path.samefile``: device and inode, so a symlink or a hard
link to an input is caught) when both files exist, else by ``os.path.realpath`` (which
resolves ``./x``, ``../dir/x`` and symlinked directories). ``-`` (stdin/stdout) is not a
file and is never compared.
"""

import os

from ._console import CLIError


def _is_stream(path):
    return path is None or str(path) == "-"


def _same_file(a, b):
    """Whether paths ``a`` and ``b`` name the same file (existing or to be created)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _check_outputs(inputs, outputs):
    """Refuse (CLIError, exit status 2) an output path that cannot or must not be written.

    Parameters
    ----------
    inputs : dict of str -> path or None
        What the command reads, by its name in the usage line (``"DATA"``, ``"MODEL"``,
        ``"--base-model"``); None or ``"-"`` (stdin) is skipped.
    outputs : dict of str -> path or None
        What it writes, by flag (``"-o"``, ``"--json"``); None (not given) and ``"-"``
        (stdout) are skipped.
    """
    given = {flag: str(path) for flag, path in outputs.items() if not _is_stream(path)}
    for flag, path in given.items():
        if path == "":
            raise CLIError(f"{flag} is empty; give the path of the file to write.")
        if os.path.isdir(path):
            raise CLIError(f"{flag} {path} is a directory; give the path of a file to write "
                           "(e.g. a name inside that directory).")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise CLIError(f"{flag} {path}: the directory {directory!r} does not exist; "
                           "create it first or choose another output path.")
        for name, source in inputs.items():
            if _is_stream(source):
                continue
            if _same_file(path, str(source)):
                what = f"the input {name} file" if not name.startswith("-") else (
                    f"the {name} input")
                raise CLIError(f"{flag} {path} is {what}; choose another output path.")
    flags = list(given)
    for i, a in enumerate(flags):
        for b in flags[i + 1:]:
            if _same_file(given[a], given[b]):
                raise CLIError(f"{a} {given[a]} and {b} {given[b]} are the same file; "
                               "give each output its own path.")


def _check_output_dir(flag, path, data):
    """Refuse an output directory (for one output file per input file) that cannot be used.

    Parameters
    ----------
    flag : str
        The option that names it (``"-o"``).
    path : str
        The directory; created by the command if missing (its parent must exist).
    data : str
        The glob, directory or file that is read, for the messages.
    """
    if _is_stream(path) or str(path) == "":
        raise CLIError(f"{flag} is missing: predicting {data} writes one output file per input "
                       f"file; give the directory that receives them with {flag} DIR.")
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"{flag} {path} is a file; predicting {data} writes one output file per "
                       f"input file into a directory: give a directory with {flag}.")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError(f"{flag} {path}: its parent directory {parent!r} does not exist; create "
                       "it first or choose another output directory.")
