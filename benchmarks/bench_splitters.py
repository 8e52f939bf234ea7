"""Benchmark: multi-label stratified K-fold splitters, speed and stratification quality.

Compares, on the same label matrices in one run:

* ``mlkit.model_selection.MultilabelStratifiedKFold`` (shuffled, and its default
  ``shuffle=False``);
* ``iterstrat.ml_stratifiers.MultilabelStratifiedKFold`` (iterative-stratification);
* ``skmultilearn.model_selection.IterativeStratification`` (scikit-multilearn, order 1);
* ``sklearn.model_selection.KFold`` (shuffled), the unstratified baseline.

Cases: GoEmotions train (43,410 x 28), Reuters-21578 ApteMod train (7,769 x 90)
and a synthetic sparse 100,000 x 100 label matrix (Zipf label frequencies, 60
labels tied to a parent label, ten very rare labels, ~17% rows without labels).

A peer whose run on a case is projected to exceed ``--budget`` seconds (from
timings on two subsamples) is skipped, and the table says so.

Run (timed runs must not overlap other benchmarks on the shared machine)::

    flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_splitters.py \\
        --output benchmarks/RESULTS_splitters.md
"""

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import load_dataset, machine_info  # noqa: E402

from mlkit.model_selection import MultilabelStratifiedKFold  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# ---------------------------------------------------------------------------- data


def synthetic_labels(n=100_000, n_labels=100, seed=20240611):
    """Sparse CSR 0/1 label matrix with a realistic, correlated shape.

    Labels 0-89 have Zipf frequencies ``0.25 / (j + 1) ** 0.8``; labels 30-89 draw
    half of their positives from the rows of label ``j - 30`` (topic / sub-topic
    co-occurrence). Labels 90-99 are very rare (3, 5, 8, 10, 12, 15, 20, 30, 50 and
    80 positives), 70% of them on rows of label ``j - 90``. About 2 labels per
    row; about 17% of the rows have no label.

    The seed must differ from the splitters' ``random_state=0``: a RandomState(0)
    permutation drawn by a splitter would otherwise line up with the rows this
    generator picked with RandomState(0), and shuffled KFold would look absurdly bad.
    """
    rng = np.random.RandomState(seed)
    rows = []
    freq = 0.25 / np.arange(1, 91) ** 0.8
    for j, f in enumerate(freq):
        m = rng.binomial(n, f)
        if j >= 30:
            host = rows[j - 30]
            n_host = min(m // 2, host.shape[0])
            idx = np.concatenate(
                [rng.choice(host, n_host, replace=False), rng.choice(n, m - n_host)]
            )
        else:
            idx = rng.choice(n, m, replace=False)
        rows.append(np.unique(idx))
    for j, c in enumerate([3, 5, 8, 10, 12, 15, 20, 30, 50, 80]):
        n_host = int(round(0.7 * c))
        idx = np.concatenate(
            [rng.choice(rows[j], n_host, replace=False), rng.choice(n, c - n_host)]
        )
        rows.append(np.unique(idx))
    cols = np.concatenate([np.full(r.shape[0], j) for j, r in enumerate(rows)])
    rows = np.concatenate(rows)
    Y = sp.csr_matrix((np.ones(rows.shape[0], dtype=np.int64), (rows, cols)), shape=(n, n_labels))
    Y.data[:] = 1
    return Y


def load_cases(data_dir, names):
    cases = {}
    for name in names:
        if name == "synthetic":
            cases[name] = ("synthetic 100k x 100 (sparse CSR)", synthetic_labels())
        else:
            Y = load_dataset(name, data_dir)["Y_train"]
            title = {"goemotions": "GoEmotions train", "reuters": "Reuters ApteMod train"}[name]
            cases[name] = (f"{title} {Y.shape[0]:,} x {Y.shape[1]}", Y)
    return cases


# ------------------------------------------------------------------------- methods


def _dense(Y):
    return Y.toarray() if sp.issparse(Y) else Y


def method_mlkit(Y, k):
    cv = MultilabelStratifiedKFold(k, shuffle=True, random_state=0)
    return [test for _, test in cv.split(np.zeros(Y.shape[0]), Y)]


def method_mlkit_default(Y, k):
    cv = MultilabelStratifiedKFold(k)
    return [test for _, test in cv.split(np.zeros(Y.shape[0]), Y)]


def method_iterstrat(Y, k):
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold as IterstratKFold

    Yd = _dense(Y)  # iterstrat needs a dense array (np.asarray(y, dtype=bool))
    cv = IterstratKFold(n_splits=k, shuffle=True, random_state=0)
    return [test for _, test in cv.split(np.zeros(Yd.shape[0]), Yd)]


def method_skmultilearn(Y, k):
    from skmultilearn.model_selection import IterativeStratification

    # random_state must stay None: scikit-learn 1.9 rejects it with shuffle=False, which
    # IterativeStratification hard-codes; its tie breaks use the global numpy generator.
    np.random.seed(0)
    cv = IterativeStratification(n_splits=k, order=1)
    return [np.asarray(test) for _, test in cv.split(np.zeros(Y.shape[0]), Y)]


def method_kfold(Y, k):
    from sklearn.model_selection import KFold

    cv = KFold(k, shuffle=True, random_state=0)
    return [test for _, test in cv.split(np.zeros(Y.shape[0]))]


METHODS = [
    ("mlkit `MultilabelStratifiedKFold(shuffle=True, random_state=0)`", method_mlkit, False),
    ("mlkit `MultilabelStratifiedKFold()` (default, shuffle=False)", method_mlkit_default, False),
    ("iterstrat `MultilabelStratifiedKFold(shuffle=True, random_state=0)`", method_iterstrat, True),
    ("skmultilearn `IterativeStratification(order=1)`", method_skmultilearn, True),
    ("sklearn `KFold(shuffle=True, random_state=0)` (not stratified)", method_kfold, False),
]


# ------------------------------------------------------------------------- quality


def quality(Y, tests, k):
    """Stratification quality of a list of test folds."""
    Y = sp.csr_matrix(Y)
    n = Y.shape[0]
    allidx = np.concatenate(tests)
    partition = allidx.shape[0] == n and np.array_equal(np.sort(allidx), np.arange(n))
    positives = np.asarray(Y.sum(axis=0)).ravel()
    glob = positives / n
    counts = np.vstack([np.asarray(Y[t].sum(axis=0)).ravel() for t in tests])
    sizes = np.array([t.shape[0] for t in tests])
    props = counts / sizes[:, None]
    dev = np.abs(props - glob)
    eligible = positives >= k
    expected = np.outer(sizes, glob)[:, eligible]
    rel_dev = np.abs(counts[:, eligible] - expected) / expected
    missing_pairs = (counts == 0) & eligible
    return {
        "partition": partition,
        "eligible": int(eligible.sum()),
        "missing_labels": int(missing_pairs.any(axis=0).sum()),
        "missing_pairs": int(missing_pairs.sum()),
        "mean_dev": float(dev.mean()),
        "max_dev": float(dev.max()),
        "mean_rel_dev": float(rel_dev.mean()),
        "size_min": int(sizes.min()),
        "size_max": int(sizes.max()),
    }


# -------------------------------------------------------------------------- timing


def timed(fn, Y, k):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tests = fn(Y, k)
    return time.perf_counter() - start, tests


def project_seconds(fn, Y, k, log):
    """Project the full-size run time from two subsamples (n/16 and n/8 rows)."""
    n = Y.shape[0]
    rng = np.random.RandomState(0)
    times = []
    sizes = [max(n // 16, 20 * k), max(n // 8, 40 * k)]
    for m in sizes:
        rows = np.sort(rng.choice(n, m, replace=False))
        times.append(timed(fn, Y[rows], k)[0])
    exponent = min(max(math.log(max(times[1], 1e-3) / max(times[0], 1e-3), 2), 1.0), 2.5)
    projected = times[1] * (n / sizes[1]) ** exponent
    log(
        f"    subsample timings {sizes[0]}: {times[0]:.2f}s, {sizes[1]}: {times[1]:.2f}s; "
        f"growth ~ n^{exponent:.2f}; projected {projected:.0f}s"
    )
    return projected, sizes, times, exponent


def run_case(Y, k, repeats, budget, log):
    rows = []
    for label, fn, is_peer in METHODS:
        log(f"  {label}")
        note = ""
        if is_peer:
            projected, sizes, times, exponent = project_seconds(fn, Y, k, log)
            if projected > budget:
                rows.append(
                    {
                        "method": label,
                        "skipped": (
                            f"skipped: projected ~{projected / 60:.0f} min > {budget / 60:.0f} min "
                            f"({sizes[1]:,} rows took {times[1]:.1f} s; growth ~n^{exponent:.1f})"
                        ),
                    }
                )
                continue
        seconds, tests = timed(fn, Y, k)
        all_times = [seconds]
        if seconds < 30:
            for _ in range(repeats - 1):
                all_times.append(timed(fn, Y, k)[0])
        else:
            note = "1 run"
        row = {"method": label, "seconds": float(np.median(all_times)), "runs": len(all_times)}
        row.update(quality(Y, tests, k))
        row["note"] = note
        log(f"    {row['seconds']:.3f}s  {row}")
        rows.append(row)
    return rows


# -------------------------------------------------------------------------- report


def fmt_seconds(s):
    return f"{s:.3f}" if s < 10 else f"{s:.1f}"


def table(rows, k):
    ref = rows[0]["seconds"]
    out = [
        f"| method | time (s) | × mlkit | labels (≥ {k} pos.) missing from a test fold "
        "| (fold, label) pairs missing | mean \\|Δp\\| | max \\|Δp\\| | mean rel. count dev. "
        "| test fold sizes min–max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "skipped" in r:
            out.append(f"| {r['method']} | — | — | {r['skipped']} | | | | | |")
            continue
        ratio = r["seconds"] / ref
        spread = r["size_max"] - r["size_min"]
        out.append(
            f"| {r['method']} | {fmt_seconds(r['seconds'])} | {ratio:.2g} "
            f"| {r['missing_labels']} of {r['eligible']} | {r['missing_pairs']} "
            f"| {r['mean_dev']:.2e} | {r['max_dev']:.2e} | {r['mean_rel_dev']:.3f} "
            f"| {r['size_min']:,}–{r['size_max']:,} (spread {spread})"
            f"{'' if r['partition'] else ' NOT A PARTITION'} |"
        )
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--cases", default="goemotions,reuters,synthetic")
    parser.add_argument("--n-splits", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per peer per case")
    parser.add_argument("--output", help="also write the markdown report to this file")
    args = parser.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    k = args.n_splits
    load_start = os.getloadavg()
    cases = load_cases(args.data_dir, args.cases.split(","))
    sections = []
    skipped = []
    for title, Y in cases.values():
        Ys = sp.csr_matrix(Y)
        per_row = np.diff(Ys.indptr)
        positives = np.asarray(Ys.sum(axis=0)).ravel()
        log(f"== {title}")
        rows = run_case(Y, k, args.repeats, args.budget, log)
        skipped += [f"{r['method']} on {title}" for r in rows if "skipped" in r]
        header = (
            f"### {title}\n\n"
            f"{Ys.nnz:,} positives, {per_row.mean():.3f} labels per row, "
            f"{int((per_row == 0).sum()):,} rows without labels, rarest label "
            f"{int(positives.min())} positives, {int((positives < k).sum())} labels with < {k} "
            f"positives. Input: {'sparse CSR' if sp.issparse(Y) else 'dense int64 ndarray'} "
            f"(iterstrat gets it dense).\n"
        )
        sections.append(header + "\n" + table(rows, k) + "\n")

    info = machine_info()
    command = (
        "flock /tmp/mlkit-bench.lock .venv/bin/python benchmarks/bench_splitters.py "
        + " ".join(argv if argv is not None else sys.argv[1:])
    )
    report = "\n".join(
        [
            "# Multi-label stratified K-fold splitters: speed and stratification quality",
            "",
            f"Command: `{command.strip()}`",
            "",
            f"Machine: {info['nproc']} cores ({info['cpu']}), {info['ram_gb']} GB RAM, "
            f"{info['os']}; Python {info['python']}, numpy {info['numpy']}, scipy "
            f"{info['scipy']}, scikit-learn {info['scikit-learn']}, scikit-multilearn "
            f"{info['scikit-multilearn']}, iterative-stratification "
            f"{_version('iterative-stratification')}; mlkit {info['mlkit_commit']}.",
            "",
            f"{k} folds. Time: the wall-clock time to produce all {k} (train, test) pairs, "
            f"median of {args.repeats} runs (1 run when one takes over 30 s). "
            "Δp: per test fold and label, the label's share of rows in the fold minus its "
            "share in the whole set; mean and max over all (fold, label) pairs. Mean rel. count "
            f"dev.: |count in fold - expected count| / expected count, averaged over the folds "
            f"and the labels with ≥ {k} positives (weighs rare labels as much as frequent ones). "
            f"A peer projected (from n/16 and n/8-row subsamples) to take more than "
            f"{args.budget / 60:.0f} min on a case is skipped.",
            "",
            *sections,
            "### Notes",
            "",
            "- iterstrat only accepts a dense label array (`np.asarray(y, dtype=bool)`), so it "
            "gets `Y.toarray()` for the sparse case (the conversion is inside its timing).",
            "- skmultilearn's `IterativeStratification` hard-codes `shuffle=False`, and "
            "scikit-learn 1.9 rejects a `random_state` with `shuffle=False` (ValueError), so it runs "
            "with `random_state=None`; its ties use the global numpy generator, seeded with 0 "
            "before each run.",
            "- Peers skipped for the time budget: "
            + ("; ".join(skipped) if skipped else "none (every projection was far below it)")
            + ".",
            f"- Load average (1/5/15 min) at start {_fmt_load(load_start)}, at end "
            f"{_fmt_load(os.getloadavg())}: the machine is shared; `flock` keeps timed "
            "benchmarks apart, but other untimed jobs may run, so absolute times are noisy; "
            "all methods of one case run back to back.",
            "",
        ]
    )
    print(report)
    if args.output:
        Path(args.output).write_text(report + "\n")


def _fmt_load(load):
    return "/".join(f"{x:.1f}" for x in load)


def _version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
