"""Habits of a library people depend on, checked on the public API.

* every public function, class and method (those named in the ``__all__`` of mlkit
  and of its public modules, and the public methods mlkit's classes define, not the
  ones inherited from scikit-learn) has annotated parameters and return type;
* its docstring has the numpydoc sections: Parameters (when it takes parameters;
  a class documents its constructor's parameters in the class docstring, as
  scikit-learn does) naming every parameter, and Returns or Yields (unless it
  returns None);
* library code does not call ``print`` (the command line, ``mlkit/cli/``, and
  ``mlkit/_demo.py`` may): it speaks through :mod:`logging`, one logger per module
  under ``"mlkit"``, and only ``mlkit/__init__.py`` adds a handler (a NullHandler).

Runs in a few seconds and imports no torch.
"""

import ast
import importlib
import inspect
import logging
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import mlkit

ROOT = pathlib.Path(mlkit.__file__).parent

PUBLIC_MODULES = [
    "mlkit", "mlkit.base", "mlkit.thresholds", "mlkit.metrics", "mlkit.model_selection",
    "mlkit.features", "mlkit.transforms", "mlkit.transformer", "mlkit.io", "mlkit.inference",
    "mlkit.evaluation", "mlkit.persistence", "mlkit.report", "mlkit.insights", "mlkit.serve",
    "mlkit.datasets",
]

# Functions and methods (qualified by the module that defines them) excused from the
# docstring-section check, with the reason. Keep this list short.
_RESULT_OBJECT = ("built by {maker}, not by users; its constructor's arguments are the "
                  "Attributes its class docstring documents")
DOCSTRING_EXCEPTIONS = {
    "mlkit.io._dataset.Dataset.__init__": _RESULT_OBJECT.format(maker="read_dataset"),
    "mlkit.insights._audit.LabelAudit.__init__": _RESULT_OBJECT.format(maker="audit"),
    "mlkit.metrics._report.LabelReport.__init__": _RESULT_OBJECT.format(maker="per_label_report"),
    "mlkit.evaluation.ModelEvaluation.__init__": _RESULT_OBJECT.format(maker="evaluate_model"),
    "mlkit.insights._compare.SplitComparison.__init__": _RESULT_OBJECT.format(
        maker="compare_splits"),
    "mlkit.insights._map.EmbeddingMap.__init__": _RESULT_OBJECT.format(maker="embedding_map"),
}

# Modules that may call print(): the command line and the demo script.
PRINT_ALLOWED = ("mlkit.cli", "mlkit._demo")


def _unwrap(value):
    """The function behind a class attribute, or None when it is not a method."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    elif isinstance(value, property):
        value = value.fget
    elif hasattr(value, "fn") and inspect.isfunction(value.fn):  # available_if
        value = value.fn
    return value if inspect.isfunction(value) else None


def _public_api():
    """``{qualified name: (function, kind, defining class or None)}``; kind is "function",
    "method", "init" or "property"."""
    found = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (getattr(obj, "__module__", None) or "").startswith("mlkit"):
                continue  # modules, constants, scikit-learn re-exports (Interval, ...)
            if inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = (obj, "function", None)
                continue
            if not inspect.isclass(obj):
                continue
            for klass in obj.__mro__:  # mlkit's own classes only, not scikit-learn's
                if not klass.__module__.startswith("mlkit"):
                    continue
                for attr, value in vars(klass).items():
                    fn = _unwrap(value)
                    if fn is None or (attr.startswith("_") and attr != "__init__"):
                        continue
                    if attr in ("get_params", "set_params"):  # scikit-learn's API, documented
                        continue                          # there (ScoreBlend overrides them)
                    kind = ("init" if attr == "__init__" else
                            "property" if isinstance(value, property) else "method")
                    found[f"{klass.__module__}.{klass.__qualname__}.{attr}"] = (fn, kind, klass)
    return dict(sorted(found.items()))


API = _public_api()


def test_public_api_is_found():
    # a sanity check on the walk itself: it sees functions, methods and constructors
    assert len(API) > 150
    assert "mlkit.thresholds.ThresholdTuner.decide" in API
    assert "mlkit.thresholds.ThresholdTuner.predict_proba" in API  # behind available_if
    assert "mlkit.persistence.save_model" in API
    assert not any(".set_params" in name or ".get_params" in name for name in API)


@pytest.mark.parametrize("qualname", list(API))
def test_annotated(qualname):
    fn, kind, _ = API[qualname]
    signature = inspect.signature(fn)
    missing = [p.name for p in signature.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    assert not missing, f"{qualname}: parameters without a type hint: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, (
        f"{qualname}: no return type hint (-> None for __init__)")


_SECTION = re.compile(r"^[ \t]*(\w+)[ \t]*\n[ \t]*-{3,}[ \t]*$", re.MULTILINE)


def _sections(doc):
    """``{section title: body}`` of a numpydoc docstring."""
    doc = inspect.cleandoc(doc or "")
    matches = list(_SECTION.finditer(doc))
    return {m.group(1): doc[m.end():(matches[k + 1].start() if k + 1 < len(matches) else None)]
            for k, m in enumerate(matches)}


def _documented_names(body):
    """Parameter names of a Parameters section (``a, b : int`` documents both)."""
    names = set()
    for line in body.splitlines():
        if line[:1].isspace() or not line.strip():
            continue
        head = line.split(" : ")[0].strip()
        names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def _parameters(fn):
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.name not in ("self", "cls")]


@pytest.mark.parametrize("qualname", list(API))
def test_numpydoc_sections(qualname):
    if qualname in DOCSTRING_EXCEPTIONS:
        pytest.skip(DOCSTRING_EXCEPTIONS[qualname])
    fn, kind, klass = API[qualname]
    params = _parameters(fn)
    doc = klass.__doc__ if kind == "init" else fn.__doc__
    assert doc and doc.strip(), f"{qualname}: no docstring"
    sections = _sections(doc)
    if kind == "property":
        return  # a property is documented like an attribute: a summary line
    if params:
        assert "Parameters" in sections, f"{qualname}: no Parameters section"
        undocumented = set(params) - _documented_names(sections["Parameters"])
        assert not undocumented, (
            f"{qualname}: parameters missing from the Parameters section: {sorted(undocumented)}")
    if kind != "init" and inspect.signature(fn).return_annotation not in ("None", None):
        assert "Returns" in sections or "Yields" in sections, (
            f"{qualname}: no Returns (or Yields) section")


# -- logging and print -------------------------------------------------------------------

def _library_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def test_library_code_does_not_print():
    offenders = []
    for module, path in _library_modules():
        if any(module == p or module.startswith(p + ".") for p in PRINT_ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "print"):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert not offenders, f"library code calls print() (use the module's logger): {offenders}"


def _module_loggers(path):
    """The names passed to ``logging.getLogger`` at module level."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "getLogger":
                names.append(ast.unparse(node.value.args[0]) if node.value.args else "")
    return names


LOGGING_MODULES = [
    "mlkit.persistence", "mlkit.features._embeddings", "mlkit.thresholds", "mlkit.io._read",
    "mlkit.serve", "mlkit.insights._audit", "mlkit.insights._oof", "mlkit._labels",
]


@pytest.mark.parametrize("module", LOGGING_MODULES)
def test_module_logger(module):
    path = dict(_library_modules())[module]
    assert _module_loggers(path) == ["__name__"], (
        f"{module}: expected one module-level `logger = logging.getLogger(__name__)`")
    # used in a call: logger.info(...), or passed on (_log(..., to=logger))
    used = [name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)
            for name in ast.walk(node) if isinstance(name, ast.Name) and name.id == "logger"]
    assert used, f"{module}: has a logger but never logs"


def test_every_logger_is_named_after_its_module():
    for module, path in _library_modules():
        assert _module_loggers(path) in ([], ["__name__"]), (
            f"{module}: use logging.getLogger(__name__), got {_module_loggers(path)}")


def test_only_a_null_handler():
    handlers = logging.getLogger("mlkit").handlers
    assert handlers and all(isinstance(h, logging.NullHandler) for h in handlers)
    for module, path in _library_modules():
        if module == "mlkit":
            continue
        text = path.read_text(encoding="utf-8")
        assert "addHandler" not in text and "basicConfig" not in text, (
            f"{module}: library code must not configure logging handlers")


def test_save_and_load_log(tmp_path, caplog):
    from sklearn.linear_model import LogisticRegression

    from mlkit import BinaryRelevance, load_model, save_model

    rng = np.random.RandomState(0)
    X = rng.rand(30, 4)
    Y = (X[:, :3] > 0.5).astype(int)
    model = BinaryRelevance(LogisticRegression()).fit(X, Y)
    path = tmp_path / "model.skops"
    with caplog.at_level(logging.DEBUG, logger="mlkit"):
        save_model(model, path, label_names=["a", "b", "c"])
        load_model(path)
    records = [r for r in caplog.records if r.name.startswith("mlkit.")]
    assert any(r.name == "mlkit.persistence" and "Saved" in r.getMessage() for r in records)
    assert any(r.name == "mlkit.persistence" and "Loaded" in r.getMessage() for r in records)


def test_walk_imports_no_torch():
    # what this file imports (every public module) stays free of torch and other heavy
    # optional libraries: annotations name them as strings only
    code = ("import sys, importlib\n"
            f"for m in {PUBLIC_MODULES!r}: importlib.import_module(m)\n"
            "heavy = sorted({'torch', 'transformers', 'sentence_transformers', 'fastapi'}\n"
            "               & set(sys.modules))\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_tuner_logs_fold_timings(caplog):
    from sklearn.linear_model import LogisticRegression

    from mlkit import BinaryRelevance, ThresholdTuner

    rng = np.random.RandomState(0)
    X = rng.rand(40, 4)
    Y = (X[:, :3] > 0.5).astype(int)
    with caplog.at_level(logging.DEBUG, logger="mlkit"):
        ThresholdTuner(BinaryRelevance(LogisticRegression()), cv=2, random_state=0).fit(X, Y)
    messages = [r.getMessage() for r in caplog.records if r.name == "mlkit.thresholds"]
    assert any("fold 1/2" in m for m in messages)
    assert any("fold 2/2" in m for m in messages)
    assert any("refit on all 40 rows" in m for m in messages)


def test_read_dataset_logs_the_chosen_columns(tmp_path, caplog):
    from mlkit.io import read_dataset

    path = tmp_path / "data.csv"
    path.write_text("id,text,toxic,insult\n1,you are nice,0,0\n2,you are awful,1,1\n",
                    encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="mlkit"):
        read_dataset(path)
    messages = [r.getMessage() for r in caplog.records if r.name == "mlkit.io._read"]
    assert any("text column 'text'" in m and "['toxic', 'insult']" in m for m in messages)
