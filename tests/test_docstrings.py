"""The Examples sections of mlkit's docstrings run as doctests (numpydoc style: they are
documentation that must stay true). Modules are imported by name, so a module whose examples
need an optional dependency is skipped with that reason."""

import doctest
import importlib
import pathlib

import pytest

import mlkit

ROOT = pathlib.Path(mlkit.__file__).parent


def _module_names():
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] == "__main__":
            continue
        yield ".".join(parts)


@pytest.mark.parametrize("name", list(_module_names()))
def test_docstring_examples(name, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # an example never downloads
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - an optional dependency is missing
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        runner.run(test, out=lambda s: None)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} docstring examples of {name} fail"
