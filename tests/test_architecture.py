"""The architecture of docs/architecture.md, checked on the source.

* each layer imports only from itself and the layers below it (function-level imports
  included: a lazy import is still a dependency);
* no import cycle between mlkit's modules;
* no module imports a private name (``_x``) from another mlkit package;
* no function is longer than 80 lines (its docstring excluded) unless it is listed
  below with the reason.
"""

import ast
import pathlib

import pytest

import mlkit

ROOT = pathlib.Path(mlkit.__file__).parent

# Layers, lowest first. A module belongs to the first layer with a matching prefix
# (a prefix matches the module and its submodules).
LAYERS = [
    ("utilities", ["mlkit._compat", "mlkit._optional", "mlkit._atomic", "mlkit._json",
                   "mlkit._text", "mlkit._labels", "mlkit._html", "mlkit._progress",
                   "mlkit._engines"]),
    ("core", ["mlkit.base", "mlkit._torch"]),
    ("estimators", ["mlkit.features", "mlkit.transforms", "mlkit.transformer",
                    "mlkit.thresholds", "mlkit.model_selection", "mlkit.metrics",
                    "mlkit.ensemble", "mlkit.pipeline"]),
    ("composition", ["mlkit._factory", "mlkit.inference", "mlkit.evaluation", "mlkit.io",
                     "mlkit.datasets", "mlkit._plots"]),
    ("clients", ["mlkit.persistence", "mlkit.report", "mlkit.insights", "mlkit.serve",
                 "mlkit.batch", "mlkit.cli", "mlkit._demo", "mlkit.__main__"]),
]

# Functions allowed over MAX_LINES, with the reason.
MAX_LINES = 80
LONG_FUNCTIONS: dict[str, str] = {}


def _modules():
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mods[".".join(parts)] = (path, is_pkg)
    return mods


MODULES = _modules()


def _layer(module):
    if module == "mlkit":  # the package itself: lazy names and __version__ only
        return 0
    for k, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return k
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it to "
                         "LAYERS and to docs/architecture.md")


def _package(module, is_pkg):
    return module if is_pkg else module.rsplit(".", 1)[0]


def _imports():
    """(importer, imported module, imported name or None, line) for every mlkit import."""
    out = []
    for module, (path, is_pkg) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out += [(module, a.name, None, node.lineno) for a in node.names
                        if a.name.split(".")[0] == "mlkit"]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_pkg else module.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source.split(".")[0] != "mlkit":
                    continue
                for a in node.names:
                    full = f"{source}.{a.name}"
                    if full in MODULES:
                        out.append((module, full, None, node.lineno))
                    else:
                        out.append((module, source, a.name, node.lineno))
    return out


IMPORTS = _imports()


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_layers_import_only_downwards():
    bad = [f"{m} (layer {LAYERS[_layer(m)][0]}) imports {t} (layer {LAYERS[_layer(t)][0]}), "
           f"line {line}"
           for m, t, _, line in IMPORTS if t in MODULES and _layer(t) > _layer(m)]
    assert bad == []


def test_no_import_cycles():
    graph = {m: {t for src, t, _, _ in IMPORTS if src == m and t in MODULES and t != m}
             for m in MODULES}
    # a package's __init__ re-exporting its submodules is not a cycle with them
    for m, (_, is_pkg) in MODULES.items():
        for t in list(graph[m]):
            if is_pkg and t.startswith(m + "."):
                continue
            if not is_pkg and m.startswith(t + ".") and MODULES[t][1]:
                graph[m].discard(t)  # a submodule importing its own package's __init__
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def test_no_private_names_from_other_packages():
    bad = []
    for module, source, name, line in IMPORTS:
        if name is None or not name.startswith("_"):
            continue
        src_pkg = _package(source, MODULES.get(source, (None, False))[1])
        if src_pkg != _package(module, MODULES[module][1]):
            bad.append(f"{module} imports {source}.{name} (line {line})")
    assert bad == []


def _function_lengths():
    for module, (path, _) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                start = body[0].lineno
                first = body[0]
                if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                        and isinstance(first.value.value, str)):
                    start = body[1].lineno if len(body) > 1 else first.end_lineno
                yield f"{module}.{node.name}", node.end_lineno - start + 1


def test_functions_are_short_or_say_why():
    long = {name: n for name, n in _function_lengths() if n > MAX_LINES}
    unexplained = sorted(f"{name} ({n} lines)" for name, n in long.items()
                         if name not in LONG_FUNCTIONS)
    assert unexplained == []
    stale = sorted(set(LONG_FUNCTIONS) - set(long))
    assert stale == [], "no longer long: remove from LONG_FUNCTIONS"


@pytest.mark.parametrize("name", ["mlkit.base", "mlkit.thresholds", "mlkit.inference"])
def test_core_modules_do_not_import_heavy_dependencies(name):
    import subprocess
    import sys

    code = (f"import sys, {name}; heavy = [m for m in ('torch', 'transformers', "
            "'sentence_transformers', 'matplotlib', 'fastapi', 'skops') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""
