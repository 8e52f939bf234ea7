"""A million texts: ``mlkit predict`` on this process, on Dask and on Ray (issue 12, item 3).

Three steps, each one short command (run them under ``flock /tmp/mlkit-bench.lock``)::

    python benchmarks/bench_scale.py data  --sizes 100000,300000,1000000
    python benchmarks/bench_scale.py model
    python benchmarks/bench_scale.py run   --sizes 100000 --engines local,local2,dask,ray

Engine ``dask-cluster`` runs ``mlkit predict --engine dask --address ...`` against a Dask
scheduler and two nanny-less single-threaded workers started as processes of their own (the
shape of a real cluster: the scheduler is not in the driver's process), where ``dask``
lets ``mlkit predict`` start a ``LocalCluster`` (scheduler in the driver, a nanny per worker).

**Data.** ``N`` texts made from the 43,410 GoEmotions training comments (bundled with
mlkit), written as Parquet parts of ``--part-rows`` rows (``id``, ``text``) under
``benchmarks/_out/scale/data_N/``. Row ``i`` of part ``p`` comes from
``numpy.random.default_rng([seed, N, p])``: a random comment, then each of these
variations with probability 1/2: drop one random word, swap two adjacent words, append
the first words (1-8) of another random comment, lower-case the text. The same seed and
size always give the same files; about 1 text in 3 repeats one seen before.

**Model.** ``mlkit.make_classifier("tfidf")`` (the recommended model) fitted on the whole
GoEmotions training split (28 labels), saved to ``benchmarks/_out/scale/go.mlkit``.

**Run.** For each size, each repeat and each engine (interleaved: local, dask, ray, local,
...), ``python -m mlkit predict MODEL 'data_N/*.parquet' -o out/ --engine E --redo``
(engines with ``--workers 2``: a local cluster of 2 single-threaded worker processes),
in a subprocess, whose process tree is sampled every 0.2 s with psutil: the peak
resident memory (RSS) of the driver, of each worker process (Dask: the worker
processes; Ray: the ``ray::`` worker processes) and of the engine's other processes (Ray's
GCS, raylet and agents), and the CPU seconds of the whole tree. Reported per run: the
wall time and texts/s end to end (cluster start included), and the **steady** rate:
the rows of the parts finished after the first round (one part per worker) divided by
the time from the end of that round to the last finished part (start-up and the model
loads excluded), which is the throughput of the workers themselves. Per core: the steady
rate divided by the worker processes that predict (1 for local, 2 for the others).
Engine ``local2`` is the control: two plain local ``mlkit predict`` processes at once, on
the even and the odd parts: what two cores of this machine give with no engine at all.
Results are appended to ``benchmarks/_out/scale/results.jsonl``; ``report`` prints the
Markdown table.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "_out" / "scale"
MODEL = OUT / "go.mlkit"
RESULTS = OUT / "results.jsonl"
SEED = 12


# --------------------------------------------------------------------------- data

def _variants(base, n, rng):
    """``n`` texts from the comments ``base``, with seeded variations."""
    texts = []
    picks = rng.integers(0, len(base), size=(n, 2))
    flips = rng.random((n, 4)) < 0.5
    for i in range(n):
        words = base[picks[i, 0]].split()
        if flips[i, 0] and len(words) > 2:
            del words[int(rng.integers(len(words)))]
        if flips[i, 1] and len(words) > 2:
            j = int(rng.integers(len(words) - 1))
            words[j], words[j + 1] = words[j + 1], words[j]
        if flips[i, 2]:
            words += base[picks[i, 1]].split()[:int(rng.integers(1, 9))]
        text = " ".join(words)
        texts.append(text.lower() if flips[i, 3] else text)
    return texts


def make_data(sizes, part_rows):
    import pandas as pd

    from mlkit.datasets import load_goemotions

    base = list(load_goemotions("train").data)
    for n in sizes:
        folder = OUT / f"data_{n}"
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        for p, start in enumerate(range(0, n, part_rows)):
            rows = min(part_rows, n - start)
            rng = np.random.default_rng([SEED, n, p])
            frame = pd.DataFrame({"id": np.arange(start, start + rows),
                                  "text": _variants(base, rows, rng)})
            frame.to_parquet(folder / f"part-{p:04d}.parquet", index=False)
        print(f"{n:,} texts in {len(os.listdir(folder))} parts -> {folder} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)


def make_model():
    import pandas as pd

    import mlkit
    from mlkit.datasets import load_goemotions
    from mlkit.persistence import save_model

    train = load_goemotions("train")
    started = time.perf_counter()
    model = mlkit.make_classifier("tfidf").fit(
        list(train.data), pd.DataFrame(train.target, columns=list(train.target_names)))
    print(f"fitted on {len(train.data):,} texts in {time.perf_counter() - started:.0f} s",
          flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    save_model(model, MODEL)
    print(f"-> {MODEL} ({MODEL.stat().st_size / 1e6:.1f} MB)")


# --------------------------------------------------------------------------- run

def _kind(proc, root_pid):
    if proc.pid == root_pid:
        return "driver"
    try:
        cmd = " ".join(proc.cmdline())
        name = proc.name()
    except Exception:
        return "other"
    if name.startswith("ray::") or cmd.startswith("ray::"):
        return "worker" if not any(s in cmd for s in ("Agent", "Actor", "Coordinator",
                                                       "StatsActor")) else "engine"
    if ("multiprocessing.spawn" in cmd or "spawn_main" in cmd or "default_worker.py" in cmd
            or "distributed.cli.dask_worker" in cmd
            or ("dask spec" in cmd and '"distributed.Worker"' in cmd)):  # SubprocessCluster
        return "worker"
    return "engine"


class TreeSampler(threading.Thread):
    """Peak RSS of every process of a tree, and its CPU seconds, sampled every 0.2 s."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.root = psutil, psutil.Process(pid)
        self.peak, self.kind, self.cpu = {}, {}, {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except self.psutil.Error:
                break
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    t = p.cpu_times()
                except self.psutil.Error:
                    continue
                self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
                self.cpu[p.pid] = t.user + t.system
                if self.kind.get(p.pid) != "worker":  # a Ray worker is renamed when busy
                    self.kind[p.pid] = _kind(p, self.root.pid)
            self.stop.wait(0.2)

    def summary(self):
        mb = {pid: v / 2**20 for pid, v in self.peak.items()}
        # a worker process that never predicted (Ray pre-starts idle ones, < 150 MB) counts
        # with the engine's other processes
        workers = [mb[p] for p, k in self.kind.items() if k == "worker" and mb[p] > 150]
        engine = [mb[p] for p, k in self.kind.items()
                  if k == "engine" or (k == "worker" and mb[p] <= 150)]
        return {"driver_mb": round(mb.get(self.root.pid, 0)),
                "worker_mb": sorted(round(v) for v in workers),
                "engine_mb": round(sum(engine)),
                "cpu_s": round(sum(self.cpu.values()), 1)}


def _finished_parts(out_dir, seen):
    for name in os.listdir(out_dir):
        if name.endswith(".csv") and name not in seen:
            seen[name] = time.perf_counter()


def dask_cluster(predict_cmd, n_workers=2):
    """Run ``predict_cmd`` (an ``mlkit predict --engine dask`` command) against a Dask
    scheduler and ``n_workers`` single-threaded workers without nannies, each a process of
    its own started here (the shape of a real cluster, where the scheduler does not share
    the driver's process), then stop them."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    cli = [sys.executable, "-m", "distributed.cli."]
    procs = [subprocess.Popen([cli[0], cli[1], cli[2] + "dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stderr=subprocess.DEVNULL)]
    procs += [subprocess.Popen([cli[0], cli[1], cli[2] + "dask_worker", address,
                                "--no-nanny", "--nthreads", "1", "--no-dashboard"],
                               stderr=subprocess.DEVNULL) for _ in range(n_workers)]
    try:
        import distributed

        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(n_workers, timeout=120)
        return subprocess.run([*predict_cmd, "--address", address]).returncode
    finally:
        for proc in procs[::-1]:  # workers first; a worker without nanny may ignore
            proc.kill()           # SIGTERM while it tries to reach the scheduler
        for proc in procs:
            proc.wait(30)


#: Engine suffix ``-q``: the Dask processes run with these settings (fewer periodic
#: event-loop callbacks, no statistical profiler), to measure what they cost.
QUIET_DASK = {"DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
              "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
              "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
              "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s"}


def run_one(engine, n, part_rows):
    label = engine
    quiet = engine.endswith("-q")
    engine = engine.removesuffix("-q")
    data = OUT / f"data_{n}"
    out_dir = OUT / f"pred_{engine}_{n}"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in os.listdir(out_dir):
        (out_dir / name).unlink()
    # local2: two plain local processes at once, on the even and the odd parts (what two
    # cores of this machine give without any engine)
    globs = ["part-*[02468].parquet", "part-*[13579].parquet"] if engine == "local2" else [
        "*.parquet"]
    cmds = [[sys.executable, "-m", "mlkit", "predict", str(MODEL), str(data / g),
             "-o", str(out_dir), "--engine", "local" if engine == "local2" else engine,
             "--redo", "-q"] for g in globs]
    if engine in ("dask", "ray"):
        cmds[0] += ["--workers", "2"]
    if engine == "dask-cluster":  # scheduler and nanny-less workers in processes of their own
        cmds[0][cmds[0].index("--engine") + 1] = "dask"
        cmds[0] = [sys.executable, __file__, "dask-cluster", "--", *cmds[0]]
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", RAY_DEDUP_LOGS="0", **(QUIET_DASK if quiet else {}))
    started = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c in cmds]
    samplers = [TreeSampler(p.pid) for p in procs]
    for sampler in samplers:
        sampler.start()
    seen = {}
    while any(p.poll() is None for p in procs):
        _finished_parts(out_dir, seen)
        time.sleep(0.2)
    _finished_parts(out_dir, seen)
    wall = time.perf_counter() - started
    for sampler in samplers:
        sampler.stop.set()
        sampler.join()
    for cmd, proc in zip(cmds, procs, strict=True):
        err = proc.stderr.read().decode(errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    times = sorted(t - started for t in seen.values())
    cores = 1 if engine == "local" else 2
    # steady: from the end of the first round (one part per worker) to the last part
    steady = ((len(times) - cores) * part_rows / (times[-1] - times[cores - 1])
              if len(times) > cores else None)
    summaries = [s.summary() for s in samplers]
    memory = summaries[0] if len(summaries) == 1 else {
        "driver_mb": max(s["driver_mb"] for s in summaries), "worker_mb": [],
        "engine_mb": 0, "cpu_s": round(sum(s["cpu_s"] for s in summaries), 1)}
    record = {"engine": label, "n": n, "parts": len(times), "wall_s": round(wall, 1),
              "texts_per_s": round(n / wall), "steady_texts_per_s": steady and round(steady),
              "steady_per_core": steady and round(steady / cores), "cores": cores,
              **memory, "load": os.getloadavg()[0], "at": time.strftime("%H:%M:%S"),
              "finished_s": [round(t, 1) for t in times]}
    with open(RESULTS, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)
    return record


def report():
    rows = [json.loads(line) for line in open(RESULTS)]
    print("| texts | engine | wall s | texts/s (end to end) | steady texts/s | steady per core "
          "| texts per CPU s | driver MB | worker MB (each) | engine services MB | load |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in sorted(rows, key=lambda r: (r["n"], r["at"])):
        workers = ", ".join(str(v) for v in r["worker_mb"]) or "-"
        print(f"| {r['n']:,} | {r['engine']} | {r['wall_s']} | {r['texts_per_s']:,} | "
              f"{r['steady_texts_per_s'] or 0:,} | {r['steady_per_core'] or 0:,} | "
              f"{round(r['n'] / r['cpu_s']):,} | {r['driver_mb']} | {workers} | "
              f"{r['engine_mb']} | {r['load']:.1f} |")


def main():
    if sys.argv[1:2] == ["dask-cluster"]:  # run_one's wrapper: dask-cluster -- COMMAND...
        raise SystemExit(dask_cluster(sys.argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("data", "model", "run", "report"))
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--engines", default="local,dask,ray")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--part-rows", type=int, default=25000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.step == "data":
        make_data(sizes, args.part_rows)
    elif args.step == "model":
        make_model()
    elif args.step == "run":
        for n in sizes:
            for _ in range(args.repeats):
                for engine in args.engines.split(","):
                    run_one(engine, n, args.part_rows)
    else:
        report()


if __name__ == "__main__":
    main()
