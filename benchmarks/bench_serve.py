"""Load test of ``mlkit serve``: concurrent clients mixing valid and malformed requests.

Starts ``python -m mlkit serve MODEL`` on a free loopback port (127.0.0.1 only), then runs
``--concurrency`` client tasks (asyncio + httpx, one process) for ``--duration`` seconds.
Each task sends, back to back, either a valid ``POST /predict`` (a batch of 1 to
``--max-texts`` GoEmotions test comments, sometimes with ``threshold`` or ``top_k``) or,
with probability ``--malformed``, one of several malformed requests (invalid JSON,
binary garbage, wrong types, unknown field, out-of-range threshold, too many texts, a
too-long text, an oversized body, an empty body, a JSON list, as many integers as fit under
the body limit, deeply nested lists). It reports requests/s,
latency percentiles, status codes, 5xx responses and dropped valid requests (any valid
request not answered 200 with one prediction per text, including timeouts and
connection errors). Targets: zero 5xx, zero dropped valid requests.

The model is the default ``make_classifier("tfidf")`` trained on the GoEmotions train
split (43,410 comments, 28 labels), saved once to ``benchmarks/_out/`` (or ``--model``).

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_serve.py \\
        --duration 30 --concurrency 16 --malformed 0.3 --out /tmp/RESULTS_serve.md

Wrap timed runs in ``flock /tmp/mlkit-bench.lock`` (the machine is shared); the script
does not take the lock itself. Client and server share the machine's CPUs.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bench_common import OUT_DIR, machine_info  # noqa: E402

HOST = "127.0.0.1"  # loopback only, by design


def _parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, default=None,
                   help="model file to serve (default: train the default TF-IDF model on "
                        "GoEmotions once, cached in benchmarks/_out/)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up, not counted")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent clients (default 16)")
    p.add_argument("--malformed", type=float, default=0.3,
                   help="fraction of malformed requests (default 0.3)")
    p.add_argument("--max-texts", type=int, default=16,
                   help="valid requests carry 1..N texts (default 16)")
    p.add_argument("--max-batch", type=int, default=64, help="server --max-batch (default 64)")
    p.add_argument("--max-text-length", type=int, default=5000,
                   help="server --max-text-length (default 5000)")
    p.add_argument("--workers", type=int, default=1, help="server --workers (default 1)")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="also write the markdown report here")
    p.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    return p


def _log(msg):
    print(f"[bench_serve] {msg}", file=sys.stderr, flush=True)


def default_model():
    """The default TF-IDF model on the GoEmotions train split, trained once and cached."""
    import mlkit
    from mlkit.datasets import load_goemotions
    from mlkit.persistence import save_model

    path = OUT_DIR / f"serve_goemotions_tfidf_{mlkit.__version__}.mlkit"
    if path.exists():
        return path
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    train = load_goemotions("train")
    labels = mlkit.indicator_to_labels(train.target, train.target_names)
    _log(f"training the default model on {len(train.data):,} GoEmotions texts (once)")
    t0 = time.perf_counter()
    model = mlkit.make_classifier("tfidf").fit(list(train.data), labels)
    _log(f"trained in {time.perf_counter() - t0:.0f} s; saving {path}")
    save_model(model, path, training_data=(list(train.data), labels))
    return path


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _malformed_requests(texts, max_batch, max_text_length):
    """(name, body bytes, content type) of each kind of malformed request."""
    j = json.dumps
    return [
        ("invalid_json", b'{"texts": ["unterminated', "application/json"),
        ("binary_garbage", bytes(range(256)) * 4, "application/json"),
        ("texts_not_a_list", j({"texts": "just one string"}).encode(), "application/json"),
        ("text_not_a_string", j({"texts": ["ok", 42, None]}).encode(), "application/json"),
        ("unknown_field", j({"texts": ["ok"], "treshold": 0.5}).encode(), "application/json"),
        ("threshold_out_of_range", j({"texts": ["ok"], "threshold": 7}).encode(),
         "application/json"),
        ("top_k_wrong_type", j({"texts": ["ok"], "top_k": "three"}).encode(),
         "application/json"),
        ("too_many_texts", j({"texts": texts[: max_batch + 1]}).encode(), "application/json"),
        ("text_too_long", j({"texts": ["x" * (max_text_length + 1)]}).encode(),
         "application/json"),
        ("body_too_large", b'{"texts": ["' + b"y" * (max_batch * max_text_length * 4 + 70000)
         + b'"]}', "application/json"),
        ("empty_body", b"", "application/json"),
        # the issue-11 cases: as many non-string items as fit under the body limit, and deep
        # nesting; both must be refused before they cost the server time and memory
        ("many_items", b'{"texts": [' + b"1," * ((max_batch * max_text_length * 4) // 2 - 8)
         + b'1]}', "application/json"),
        ("deep_nesting", b'{"texts": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
         "application/json"),
        ("json_list", b"[1, 2, 3]", "application/json"),
        ("wrong_content_type", j({"texts": ["ok"]}).encode(), "text/plain"),
    ]


async def _client(i, client, url, texts, args, deadline, warm_until, results, malformed):
    rng = random.Random(args.seed * 1000 + i)
    while True:
        now = time.perf_counter()
        if now >= deadline:
            return
        if rng.random() < args.malformed:
            name, body, ctype = rng.choice(malformed)
            kind = "malformed"
        else:
            k = rng.randint(1, args.max_texts)
            start = rng.randrange(0, len(texts) - k)
            payload = {"texts": texts[start:start + k]}
            r = rng.random()
            if r < 0.15:
                payload["threshold"] = 0.3
            elif r < 0.3:
                payload["top_k"] = 3
            name, body, ctype, kind = f"valid_{k}", json.dumps(payload).encode(), \
                "application/json", "valid"
        t0 = time.perf_counter()
        status, error, n_pred = None, None, None
        try:
            resp = await client.post(url, content=body, headers={"content-type": ctype})
            status = resp.status_code
            if kind == "valid" and status == 200:
                n_pred = len(resp.json()["predictions"])
            elif status >= 400:
                resp.json()  # every error must be JSON
        except Exception as exc:  # timeouts, connection errors, non-JSON bodies
            error = f"{type(exc).__name__}: {exc}"[:200]
        t1 = time.perf_counter()
        if t0 < warm_until:
            continue
        n_texts = int(name.split("_")[1]) if kind == "valid" else 0
        results.append({"kind": kind, "name": name, "status": status, "error": error,
                        "latency": t1 - t0, "n_texts": n_texts,
                        "ok": (kind == "valid" and status == 200 and n_pred == n_texts)})


async def _load(port, texts, args):
    import httpx

    url = f"http://{HOST}:{port}/predict"
    malformed = _malformed_requests(texts, args.max_batch, args.max_text_length)
    limits = httpx.Limits(max_connections=args.concurrency,
                          max_keepalive_connections=args.concurrency)
    results = []
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits) as client:
        start = time.perf_counter()
        warm_until = start + args.warmup
        deadline = warm_until + args.duration
        await asyncio.gather(*(
            _client(i, client, url, texts, args, deadline, warm_until, results, malformed)
            for i in range(args.concurrency)))
        elapsed = time.perf_counter() - warm_until
        health = (await client.get(f"http://{HOST}:{port}/health")).status_code
    return results, elapsed, health


def _pct(values, q):
    return float(np.percentile(values, q)) * 1000 if len(values) else float("nan")


def summarize(results, elapsed):
    valid = [r for r in results if r["kind"] == "valid"]
    bad = [r for r in results if r["kind"] == "malformed"]
    statuses = {}
    for r in results:
        key = str(r["status"]) if r["status"] is not None else "no response"
        statuses[key] = statuses.get(key, 0) + 1
    by_name = {}
    for r in bad:
        entry = by_name.setdefault(r["name"], {"n": 0, "statuses": {}})
        entry["n"] += 1
        key = str(r["status"])
        entry["statuses"][key] = entry["statuses"].get(key, 0) + 1
    return {
        "elapsed_s": elapsed,
        "requests": len(results),
        "requests_per_s": len(results) / elapsed,
        "valid": len(valid),
        "valid_per_s": len(valid) / elapsed,
        "texts_per_s": sum(r["n_texts"] for r in valid if r["ok"]) / elapsed,
        "malformed": len(bad),
        "status_counts": dict(sorted(statuses.items())),
        "server_errors_5xx": sum(1 for r in results if r["status"] and r["status"] >= 500),
        "dropped_valid": sum(1 for r in valid if not r["ok"]),
        "malformed_not_4xx": sum(1 for r in bad if not (r["status"] and 400 <= r["status"] < 500)),
        "transport_errors": sum(1 for r in results if r["error"]),
        "errors_sample": sorted({r["error"] for r in results if r["error"]})[:5],
        "latency_ms": {
            kind: {"p50": _pct([r["latency"] for r in rows], 50),
                   "p90": _pct([r["latency"] for r in rows], 90),
                   "p99": _pct([r["latency"] for r in rows], 99),
                   "max": max((r["latency"] for r in rows), default=float("nan")) * 1000}
            for kind, rows in (("all", results), ("valid", valid), ("malformed", bad))
        },
        "malformed_by_kind": by_name,
    }


def _rss_mb(pid, children=False):
    """Peak RSS of the server process (summed over its worker processes with workers)."""
    pids = [pid]
    if children:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
        except OSError:
            pass
    total = 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total or None


def markdown(summary, args, command, machine, model_path, startup_s, rss_mb, health):
    lat = summary["latency_ms"]
    lines = [
        "## mlkit serve load test",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gb']} GB RAM, "
        f"{machine['os']}; Python {machine['python']}, scikit-learn {machine['scikit-learn']}, "
        f"mlkit {machine['mlkit']} ({machine['mlkit_commit']}). Client and server run on the "
        "same machine, over loopback (127.0.0.1).",
        "",
        f"Model: `{model_path.name}` (default TF-IDF model, GoEmotions train split, 28 "
        f"labels); server startup (process start to first /health) {startup_s:.1f} s; server "
        f"peak RSS {rss_mb:.0f} MB (all processes)." if rss_mb else f"Model: `{model_path.name}`.",
        "",
        f"Load: {args.concurrency} concurrent clients for {args.duration:.0f} s after a "
        f"{args.warmup:.0f} s warm-up; server with {args.workers} worker process(es); "
        f"{args.malformed:.0%} malformed requests; valid requests "
        f"carry 1-{args.max_texts} texts (15 % with `threshold`, 15 % with `top_k`). Server "
        f"limits: --max-batch {args.max_batch}, --max-text-length {args.max_text_length}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| requests (all / valid / malformed) | {summary['requests']:,} / {summary['valid']:,}"
        f" / {summary['malformed']:,} |",
        f"| requests/s (all) | {summary['requests_per_s']:.1f} |",
        f"| valid requests/s | {summary['valid_per_s']:.1f} |",
        f"| texts classified/s | {summary['texts_per_s']:.1f} |",
        f"| latency p50 / p99, valid (ms) | {lat['valid']['p50']:.1f} / "
        f"{lat['valid']['p99']:.1f} |",
        f"| latency p50 / p99, malformed (ms) | {lat['malformed']['p50']:.1f} / "
        f"{lat['malformed']['p99']:.1f} |",
        f"| latency p50 / p99 / max, all (ms) | {lat['all']['p50']:.1f} / "
        f"{lat['all']['p99']:.1f} / {lat['all']['max']:.1f} |",
        f"| **5xx responses** | **{summary['server_errors_5xx']}** |",
        f"| **dropped valid requests** | **{summary['dropped_valid']}** |",
        f"| malformed requests not answered 4xx | {summary['malformed_not_4xx']} |",
        f"| transport errors (timeouts, resets) | {summary['transport_errors']} |",
        f"| status codes | {', '.join(f'{k}: {v:,}' for k, v in summary['status_counts'].items())}"
        " |",
        f"| /health after the run | {health} |",
        "",
        "Malformed requests by kind (status codes received):",
        "",
        "| kind | n | statuses |",
        "|---|---|---|",
    ]
    for name, entry in sorted(summary["malformed_by_kind"].items()):
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(entry["statuses"].items()))
        lines.append(f"| {name} | {entry['n']} | {statuses} |")
    if summary["errors_sample"]:
        lines += ["", "Transport errors (sample): " + "; ".join(summary["errors_sample"])]
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.concurrency < 1 or args.duration <= 0 or not 0 <= args.malformed <= 1:
        raise SystemExit("bench_serve: --concurrency >= 1, --duration > 0, 0 <= --malformed <= 1")
    from mlkit.datasets import load_goemotions

    model_path = args.model or default_model()
    texts = [t for t in load_goemotions("test").data if len(t) <= args.max_text_length]
    port = _free_port()
    cmd = [sys.executable, "-m", "mlkit", "serve", str(model_path), "--host", HOST, "--port",
           str(port), "--max-batch", str(args.max_batch), "--max-text-length",
           str(args.max_text_length), "--no-access-log", "--log-level", "warning",
           "--workers", str(args.workers)]
    _log(f"starting: {' '.join(cmd)}")
    t0 = time.perf_counter()
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=dict(os.environ, HF_HUB_OFFLINE="1"))
    try:
        import httpx

        while True:
            if server.poll() is not None:
                raise SystemExit(f"server exited: {server.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"http://{HOST}:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - t0 > 300:
                raise SystemExit("server did not start within 300 s")
            time.sleep(0.2)
        startup = time.perf_counter() - t0
        _log(f"server up in {startup:.1f} s; {args.concurrency} clients for "
             f"{args.warmup:.0f}+{args.duration:.0f} s")
        results, elapsed, health = asyncio.run(_load(port, texts, args))
        rss = _rss_mb(server.pid, children=args.workers > 1)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    summary = summarize(results, elapsed)
    command = "python benchmarks/bench_serve.py " + " ".join(argv if argv is not None
                                                              else sys.argv[1:])
    report = markdown(summary, args, command, machine_info(), Path(model_path), startup, rss,
                      health)
    print(report)
    if args.out:
        args.out.write_text(report)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "args": vars(args) | {
            "model": str(model_path), "out": str(args.out), "json": str(args.json)}},
            indent=2, default=str))
    ok = summary["server_errors_5xx"] == 0 and summary["dropped_valid"] == 0
    _log("targets met: zero 5xx, zero dropped valid requests" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
