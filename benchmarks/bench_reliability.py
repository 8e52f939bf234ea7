"""Reliability under hostile and careless input: model files, data files, the command line,
the HTTP server.

Every attempt runs the real program (``python -m mlkit ...`` in a fresh process, or the
server over loopback) inside a scratch folder, and is classified by what happened:

* **clear error**: exit status 2 (or a documented 4xx/5xx JSON answer) with one line that
  says what is wrong, no traceback;
* **correct**: it worked and the output is what the unmodified input gives (or, for an input
  that is still valid, a well-formed output);
* **wrong result**: it "worked" but gave another answer than the valid input would (a silent
  guess);
* **crash**: any other exit status, a traceback without ``--debug``, or an exit 1
  "unexpected ..." line;
* **hang**: over the time limit;
* **code executed**: a payload's marker file appeared;
* **data lost**: an input file changed, or a file appeared outside the scratch folder.

The goal is zero in the last five columns. Usage::

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_reliability.py \\
        --data-dir /work/shared/data --out benchmarks/RESULTS_reliability.md
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _bench_common import machine_info  # noqa: E402

OUTCOMES = ("clear error", "correct", "wrong result", "crash", "hang", "code executed",
            "data lost")
TIMEOUT = 60


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).exists() else None


def _cli(args, cwd, timeout=TIMEOUT):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    try:
        return subprocess.run([sys.executable, "-m", "mlkit", *map(str, args)], cwd=cwd,
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None


def _classify(proc, *, inputs, marker, expect=None, output=None):
    """One outcome for a finished (or timed-out) command."""
    if marker is not None and marker.exists():
        return "code executed"
    if any(_digest(p) != d for p, d in inputs.items()):
        return "data lost"
    if proc is None:
        return "hang"
    err = proc.stderr.strip()
    if "Traceback" in err or "unexpected" in err:
        return "crash"
    if proc.returncode == 2:
        return "clear error" if err.count("\n") < 3 and "error:" in err else "crash"
    if proc.returncode != 0:
        return "crash"
    if expect is None:
        return "correct"
    got = output.read_text(encoding="utf-8") if output is not None and output.exists() else ""
    return "correct" if got == expect else "wrong result"


# --------------------------------------------------------------------------- set-up


def _jigsaw(data_dir, work):
    src = Path(data_dir) / "jigsaw_sample"
    for name in ("train.csv", "valid.csv"):
        shutil.copy(src / name, work / name)
    return work / "train.csv", work / "valid.csv"


def _train(work, train):
    model = work / "model.mlkit"
    proc = _cli(["train", train, "--cv", "2", "-o", model, "-q"], cwd=work, timeout=300)
    if proc is None or proc.returncode != 0:
        raise SystemExit(f"training the reference model failed: {proc and proc.stderr}")
    return model


def _reference_prediction(work, model, data):
    out = work / "reference.csv"
    _cli(["predict", model, data, "-o", out, "-q"], cwd=work)
    return out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- categories


def model_file_attempts(work, model):
    """Hostile and damaged model files, loaded by `mlkit predict` (and `mlkit info`)."""
    raw = model.read_bytes()
    rng = np.random.default_rng(0)
    marker = work / "PWNED"
    cases = {}
    cases["truncated"] = [raw[: int(len(raw) * f)] for f in (0.1, 0.5, 0.9, 0.99)]
    flips = []
    for _ in range(12):
        b = bytearray(raw)
        for i in rng.integers(0, len(b), size=4):
            b[i] ^= 0xFF
        flips.append(bytes(b))
    cases["bit flips"] = flips
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    manifest_name = next(n for n in members if n.endswith(".json"))
    manifest = json.loads(members[manifest_name])

    def rezip(changes, compression=zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression) as zf:
            for name, data in {**members, **changes}.items():
                zf.writestr(name, data)
        return buf.getvalue()

    def with_manifest(**fields):
        return rezip({manifest_name: json.dumps({**manifest, **fields}).encode()})

    names = list(manifest.get("label_names") or [])
    cases["manifest lies"] = [
        with_manifest(label_names=names[::-1]),
        with_manifest(label_names=names[:-1]),
        with_manifest(thresholds=[0.5]),
        with_manifest(thresholds="high"),
        with_manifest(format_version=99),
        with_manifest(serializer="pickle"),
        rezip({manifest_name: b"[" * 100000 + b"]" * 100000}),
        rezip({manifest_name: json.dumps({**manifest, "pad": " " * (300 << 20)}).encode()}),
    ]
    import pickle

    class _Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload_name = next(n for n in members if n.startswith("estimator."))
    evil = pickle.dumps(_Payload())
    cases["hostile payload"] = [
        rezip({payload_name: evil}),
        with_manifest(serializer="pickle", payload={**manifest.get("payload", {}),
                                                     "name": "estimator.pkl"}),
        rezip({payload_name: b"\0" * (200 << 20)}),
    ]
    out = []
    for category, blobs in cases.items():
        for blob in blobs:
            out.append((category, blob))
    return out


def run_model_files(work, model, valid, reference):
    results = collections.defaultdict(collections.Counter)
    marker = work / "PWNED"
    for category, blob in model_file_attempts(work, model):
        path = work / "attempt.mlkit"
        path.write_bytes(blob)
        inputs = {valid: _digest(valid), path: _digest(path)}
        for command in (["info", path], ["predict", path, valid, "-o", work / "o.csv", "-q"]):
            if marker.exists():
                marker.unlink()
            proc = _cli(command, cwd=work)
            outcome = _classify(proc, inputs=inputs, marker=marker)
            if command[0] == "predict" and outcome == "correct":
                got = (work / "o.csv").read_text(encoding="utf-8")
                outcome = "correct" if got == reference else "wrong result"
            results[f"model file: {category}"][outcome] += 1
    return results


def run_outputs_over_inputs(work, model, train, valid):
    """Every command pointed at one of its own inputs, in several spellings."""
    results = collections.Counter()
    link = work / "link.csv"
    hard = work / "hard.csv"
    for p in (link, hard):
        if p.exists() or p.is_symlink():
            p.unlink()
    link.symlink_to(valid)
    os.link(valid, hard)
    spellings = [valid, Path("valid.csv"), Path("./valid.csv"), link, hard,
                 Path("..") / work.name / "valid.csv"]
    attempts = []
    for s in spellings:
        attempts += [["predict", model, valid, "-o", s, "-q"],
                     ["evaluate", model, valid, "--json", s, "-q"],
                     ["evaluate", model, valid, "--report", s, "-q"],
                     ["inspect", valid, "--cv", "2", "--export-clean", s, "-q"],
                     ["train", valid, "--cv", "2", "-o", s, "-q"]]
    attempts += [["predict", model, valid, "-o", model, "-q"],
                 ["predict", model, valid, "-o", Path("model.mlkit"), "-q"]]
    for args in attempts:
        backup = {p: Path(p).read_bytes() for p in (valid, model, train)}
        inputs = {p: _digest(p) for p in backup}
        proc = _cli(args, cwd=work, timeout=300)
        results[_classify(proc, inputs=inputs, marker=None)] += 1
        for p, data in backup.items():  # restore (in place: the hard link stays a link)
            if _digest(p) != inputs[p]:
                with open(p, "wb") as fh:
                    fh.write(data)
    return {"command line: output over an input": results}


def run_bad_options(work, model, valid):
    results = collections.Counter()
    attempts = [
        ["predict", model, valid, "--encoding", "nosuch", "-q"],
        ["predict", model, valid, "--batch-size", "0", "-q"],
        ["predict", model, valid, "--threshold", "2", "-q"],
        ["predict", model, valid, "--top-k", "-1", "-q"],
        ["predict", model, valid, "--text-col", "nosuch", "-q"],
        ["predict", model, work, "-q"],
        ["predict", work, valid, "-q"],
        ["evaluate", model, valid, "--label-cols", "nosuch", "-q"],
        ["train", valid, "--cv", "1", "-o", work / "m2.mlkit", "-q"],
        ["train", valid, "--model", "nosuch", "-o", work / "m2.mlkit", "-q"],
        ["train", valid, "-o", work / "nodir" / "m.mlkit", "-q"],
        ["info", valid, "-q"],
        ["serve", model, "--port", "70000", "-q"],
    ]
    for args in attempts:
        inputs = {valid: _digest(valid), model: _digest(model)}
        results[_classify(_cli(args, cwd=work), inputs=inputs, marker=None)] += 1
    return {"command line: bad options and paths": results}


def data_file_attempts(valid):
    text = valid.read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    cases = collections.defaultdict(list)
    cases["encoding"] += [text.encode("latin-1", "replace"), text.encode("utf-16"),
                          b"\xff\xfe\x00garbage" + text.encode()[:200], b"\x00" * 1000]
    cases["structure"] += [b"", header.encode(), (header + "\n" + "\n".join(rows[:3])).encode()
                           .replace(b",", b";"), b"\n".join([b"a,b"] + [b'"unclosed'] * 5),
                           (header.replace('"toxic"', '"insult"') + "\n"
                            + "\n".join(rows)).encode()]
    import csv

    with open(valid, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    bad_cells = []
    for value in ("2", "-1", "yes", "", "nan", "1e400", "[1]"):
        rows_out = [list(r) for r in table]
        rows_out[4][-1] = value  # the last label column of the fourth data row
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows_out)
        bad_cells.append((value, buf.getvalue().encode()))
    cases["label cells"] = bad_cells
    return cases


# label cell values that are a documented 0/1 spelling; every other one must be refused
_ACCEPTED_CELLS = {"yes"}


def run_data_files(work, model, valid):
    results = collections.defaultdict(collections.Counter)
    for category, blobs in data_file_attempts(valid).items():
        for blob in blobs:
            value = None
            if isinstance(blob, tuple):
                value, blob = blob
            path = work / "attempt.csv"
            path.write_bytes(blob)
            inputs = {path: _digest(path), model: _digest(model)}
            for args in (["evaluate", model, path, "-q"],
                         ["train", path, "--cv", "2", "-o", work / "m3.mlkit", "-q"]):
                proc = _cli(args, cwd=work, timeout=300)
                outcome = _classify(proc, inputs=inputs, marker=None)
                if outcome == "correct" and value is not None and value not in _ACCEPTED_CELLS:
                    outcome = "wrong result"  # a label value other than 0/1 silently taken
                results[f"data file: {category}"][outcome] += 1
    return results


def run_server(work, model):
    """Hostile requests to `mlkit serve` on loopback; /health must keep answering."""
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "mlkit", "serve", str(model), "--port",
                               str(port), "--no-access-log", "-q"], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    results = collections.Counter()
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        bodies = [
            b"", b"{", b"[]", b'{"texts": "one"}', b'{"texts": [1, 2]}',
            b'{"texts": ["a"], "threshold": "x"}', b'{"texts": ["a"], "top_k": 0}',
            b'{"texts": ["a"], "extra": 1}', json.dumps({"texts": ["a"] * 10_000}).encode(),
            json.dumps({"texts": ["x" * 50_000]}).encode(),
            b'{"texts": [' + b"1," * 999_999 + b"1]}",
            b'{"texts": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}",
        ]
        for body in bodies:
            t0 = time.perf_counter()
            try:
                r = httpx.post(base + "/predict", content=body, timeout=TIMEOUT,
                               headers={"content-type": "application/json"})
                ok = r.status_code in (413, 422) and "error" in r.json()
                outcome = "clear error" if ok else ("crash" if r.status_code >= 500
                                                    else "wrong result")
            except httpx.TimeoutException:
                outcome = "hang"
            except (httpx.HTTPError, ValueError):
                outcome = "crash"
            health = time.perf_counter()
            try:
                httpx.get(base + "/health", timeout=5)
            except httpx.HTTPError:
                outcome = "hang"
            del t0, health
            results[outcome] += 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"server: hostile request bodies": results}


# --------------------------------------------------------------------------- report


def render(results, seconds):
    lines = ["| category | tried | " + " | ".join(OUTCOMES) + " |",
             "|---|---:|" + "---:|" * len(OUTCOMES)]
    total = collections.Counter()
    for category, counter in results.items():
        total.update(counter)
        lines.append(f"| {category} | {sum(counter.values())} | "
                     + " | ".join(str(counter.get(o, 0)) for o in OUTCOMES) + " |")
    lines.append(f"| **all** | **{sum(total.values())}** | "
                 + " | ".join(f"**{total.get(o, 0)}**" for o in OUTCOMES) + " |")
    return "\n".join(lines) + f"\n\n({seconds:.0f} s)\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlkit-reliability-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        train, valid = _jigsaw(args.data_dir, work)
        model = _train(work, train)
        reference = _reference_prediction(work, model, valid)
        results = {}
        results.update(run_model_files(work, model, valid, reference))
        results.update(run_outputs_over_inputs(work, model, train, valid))
        results.update(run_bad_options(work, model, valid))
        results.update(run_data_files(work, model, valid))
        if not args.skip_server:
            results.update(run_server(work, model))
        outside = [p for p in Path(tmp).iterdir() if p.name != "work"]
        if outside:
            results.setdefault("files outside the scratch folder", collections.Counter())
            results["files outside the scratch folder"]["data lost"] += len(outside)
    table = render(results, time.perf_counter() - t0)
    info = machine_info()
    machine = (f"{info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, Python "
               f"{info['python']}, mlkit {info['mlkit']} at commit {info['mlkit_commit']}")
    report = (f"# Reliability under hostile and careless input\n\nCommand: `python "
              f"{' '.join(sys.argv)}`  \nMachine: {machine}\n\n" + table)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
