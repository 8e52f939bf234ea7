"""Loading a model file: mlkit's safe format against joblib.load and pickle.load.

The model is the default ``mlkit.make_classifier("tfidf")`` fitted on the GoEmotions
train split (43,410 comments, 28 labels; about a minute on two cores). It is fitted
once and cached under ``--cache`` (``/tmp/mlkit-bench-load`` by default, never the
repository), then written in each format compared:

* ``mlkit (safe)``: ``mlkit.persistence.save_model`` (the default safe format) read by
  ``load_model`` (checksum, version check, vetted declarative rebuild);
* ``mlkit (skops)``: the same model with ``serializer="skops"`` (mlkit's first model
  format; only when skops is installed), read by ``load_model``;
* ``joblib.load`` of ``joblib.dump(model)``;
* ``pickle.load`` of ``pickle.dump(model, protocol=5)``.

Each load runs in a fresh Python process (``python -c``), so the time includes the
interpreter start and every import the load needs, as a user of ``mlkit predict``
sees it. Wall time is measured around the process; peak memory is the process's
maximum resident set size (``/usr/bin/time -f %M`` where available, else the child's
own ``getrusage``). The rounds interleave the methods; the table reports the median
and the minimum over ``--repeats`` rounds and the ratios of the medians to
``joblib.load``. Each child also reports whether ``torch`` got imported.

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_load.py \\
        --repeats 7 --out benchmarks/RESULTS_load.md

Wrap timed runs in ``flock /tmp/mlkit-bench.lock`` (the machine is shared); the script
does not take the lock itself.
"""

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import resource, sys, time
t0 = time.perf_counter()
{load}
t1 = time.perf_counter()
assert hasattr(model, "predict")
import json
print("RESULT " + json.dumps({{"load_s": t1 - t0, "torch": "torch" in sys.modules,
                             "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""

_LOADERS = {
    "mlkit (safe)": "from mlkit.persistence import load_model\nmodel = load_model({path!r})",
    "mlkit (skops)": "from mlkit.persistence import load_model\nmodel = load_model({path!r})",
    "joblib.load": "import joblib\nmodel = joblib.load({path!r})",
    "pickle.load": "import pickle\nwith open({path!r}, 'rb') as f:\n    model = pickle.load(f)",
}


def _model_files(cache):
    """The fitted model, written in every compared format (fitted once, then cached)."""
    import joblib

    cache.mkdir(parents=True, exist_ok=True)
    files = {
        "mlkit (safe)": cache / "goemotions_tfidf.mlkit",
        "mlkit (skops)": cache / "goemotions_tfidf.skops.mlkit",
        "joblib.load": cache / "goemotions_tfidf.joblib",
        "pickle.load": cache / "goemotions_tfidf.pkl",
    }
    fitted = cache / "fitted.joblib"
    model = None
    if not fitted.exists():
        import mlkit
        from mlkit.datasets import load_goemotions

        X, Y = load_goemotions("train", return_X_y=True)
        t = time.perf_counter()
        model = mlkit.make_classifier("tfidf").fit(X, Y)
        print(f"fitted in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        joblib.dump(model, fitted)
    for name, path in files.items():
        if path.exists():
            continue
        if model is None:
            model = joblib.load(fitted)
        from mlkit.persistence import save_model

        if name == "mlkit (safe)":
            save_model(model, path)
        elif name == "mlkit (skops)":
            try:
                import skops  # noqa: F401
            except ImportError:
                continue
            save_model(model, path, serializer="skops")
        elif name == "joblib.load":
            joblib.dump(model, path)
        else:
            with open(path, "wb") as f:
                pickle.dump(model, f, protocol=5)
    return {name: path for name, path in files.items() if path.exists()}


def _run_once(python, code):
    time_bin = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists()
                                        else None)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        cmd = [python, "-c", code]
        if time_bin:
            cmd = [time_bin, "-f", "%M", "-o", tf.name] + cmd
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError(f"child failed:\n{proc.stderr[-3000:]}")
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
        result = json.loads(line[len("RESULT "):])
        peak_kb = result["maxrss_kb"]
        if time_bin:
            text = Path(tf.name).read_text().strip().splitlines()
            if text and text[-1].strip().isdigit():
                peak_kb = int(text[-1])
    return {"wall_s": wall, "load_s": result["load_s"], "peak_mb": peak_kb / 1024,
            "torch": result["torch"]}


def _machine():
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} vCPU, Python {platform.python_version()}"


def _versions():
    from importlib import metadata

    out = []
    for dist in ("mlkit", "numpy", "scipy", "scikit-learn", "joblib", "skops", "torch"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} (not installed)")
    return ", ".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mlkit-bench-load"),
                        help="where the fitted model and its files are cached")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    args = parser.parse_args(argv)

    files = _model_files(args.cache)
    runs = {name: [] for name in files}
    for _ in range(args.repeats):
        for name, path in files.items():
            code = _CHILD.format(load=_LOADERS[name].format(path=str(path)))
            runs[name].append(_run_once(sys.executable, code))

    base = runs["joblib.load"]
    base_wall = statistics.median(r["wall_s"] for r in base)
    base_peak = statistics.median(r["peak_mb"] for r in base)
    lines = [
        "| method | file size | process wall s (median / min) | load call s (median) | "
        "peak RSS MB (median / max) | time vs joblib | memory vs joblib | torch imported |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, rs in runs.items():
        wall = [r["wall_s"] for r in rs]
        peak = [r["peak_mb"] for r in rs]
        size = files[name].stat().st_size / 2**20
        lines.append(
            f"| {name} | {size:.1f} MB | {statistics.median(wall):.2f} / {min(wall):.2f} | "
            f"{statistics.median(r['load_s'] for r in rs):.2f} | "
            f"{statistics.median(peak):.0f} / {max(peak):.0f} | "
            f"{statistics.median(wall) / base_wall:.2f}x | "
            f"{statistics.median(peak) / base_peak:.2f}x | "
            f"{'yes' if any(r['torch'] for r in rs) else 'no'} |")
    table = "\n".join(lines)
    command = " ".join(["python", "benchmarks/bench_load.py"] + (argv or sys.argv[1:]))
    report = (
        "# Loading a model file: mlkit's safe format vs joblib and pickle\n\n"
        f"Command: `{command}`  \n"
        f"Machine: {_machine()}  \n"
        f"Versions: {_versions()}  \n"
        f"Rounds: {args.repeats}, each method in a fresh process per round, interleaved.\n\n"
        "Model: `mlkit.make_classifier(\"tfidf\")` fitted on the GoEmotions train split "
        "(43,410 comments, 28 labels). *Process wall* is the whole `python -c` process "
        "(interpreter start, imports, load); *load call* is the import-and-load statement "
        "timed inside the child; *peak RSS* is the process's maximum resident set size.\n\n"
        f"{table}\n"
    )
    print(report)
    if args.out:
        args.out.write_text(report)
    return runs


if __name__ == "__main__":
    main()
