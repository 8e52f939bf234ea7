"""Which 2-D projection should ``mlkit.insights.embedding_map`` draw?

For GoEmotions train (the first 10,000 rows, then all 43,410) the map's
pipeline runs once per projection, interleaved on the same data:

1. TF-IDF (``embedding_map``'s settings) reduced to 50 dimensions by truncated
   SVD, on every row; k-means clusters on every row (timed once);
2. a sample of at most ``--max-points`` rows (the map's cap) is projected to
   2-D by each method: ``svd`` (first two SVD components), ``pca`` (PCA of
   the L2-normalised 50-d rows), ``tsne`` (scikit-learn t-SNE, PCA init, on
   the normalised rows) and, when importable, ``umap`` (umap-learn, cosine);
3. each projection is scored on the sample:
   * trustworthiness (``sklearn.manifold.trustworthiness``, 10 neighbours,
     reference space = the normalised 50-d rows): do 2-D neighbours come from
     50-d neighbours? 1 is perfect;
   * kNN accuracy in 2-D: 10-nearest-neighbour classification of the rows
     that carry exactly one label, 5-fold cross-validated (``50-d`` gives the
     same in the reference space, an upper reference);
   * CPU and wall seconds of the projection.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 flock /tmp/mlkit-bench.lock
.venv/bin/python benchmarks/bench_map.py`` (``--sizes 10000 43410``, ``--max-points 5000``).
One thread: on a loaded machine OpenMP threads that wait for a core count as CPU time
(t-SNE's gradient on 1,500 points: 1.8 CPU s with one thread, 10-15 s with the default
threads on the shared 2-core machine), which would hide the methods' real cost.
"""

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlkit.datasets import load_goemotions  # noqa: E402
from mlkit.insights import _map  # noqa: E402


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), _cpu()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, _cpu() - c0


def knn_accuracy(X, y, seed=0):
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a few labels have fewer than 5 single-label rows
        warnings.simplefilter("ignore", UserWarning)
        return float(cross_val_score(KNeighborsClassifier(10), X, y, cv=cv).mean())


def umap_projection(Z, seed):
    import umap  # optional: measured only when installed (not an mlkit dependency)

    return umap.UMAP(n_components=2, metric="cosine", random_state=seed).fit_transform(
        _map._normalise(Z))


def run_size(texts, Y, n, max_points, methods, seed):
    from sklearn.manifold import trustworthiness

    texts, Y = texts[:n], Y[:n]
    (X, _), w_tfidf, c_tfidf = timed(_map._tfidf, texts)
    Z, w_svd, c_svd = timed(_map._reduce, X, seed)
    _, w_km, c_km = timed(_map._clusters, _map._normalise(Z), "auto", seed)
    print(f"\n## n = {n:,}: TF-IDF {X.shape[1]:,} terms {w_tfidf:.1f} s wall / {c_tfidf:.1f} s "
          f"CPU; SVD-50 {w_svd:.1f} / {c_svd:.1f} s; k-means (k={_map._default_k(n)}) "
          f"{w_km:.1f} / {c_km:.1f} s", flush=True)
    rows = _map._sample(n, None, max_points, np.random.default_rng(seed))
    U = _map._normalise(Z[rows])
    single = Y[rows].sum(axis=1) == 1
    y = Y[rows][single].argmax(axis=1)
    print(f"sample {len(rows):,} rows ({int(single.sum()):,} single-label); kNN accuracy "
          f"in 50-d: {knn_accuracy(U[single], y, seed):.3f}")
    print("\n| method | trustworthiness (k=10) | kNN accuracy 2-D | wall s | CPU s |")
    print("|---|---|---|---|---|")
    for method in methods:
        if method == "umap":
            try:
                xy, wall, cpu = timed(umap_projection, Z[rows], seed)
            except ImportError:
                print("| umap | (umap-learn not installed) | | | |")
                continue
        else:
            xy, wall, cpu = timed(_map.project, Z[rows], method, random_state=seed)
        tw = trustworthiness(U, xy, n_neighbors=10)
        print(f"| {method} | {tw:.3f} | {knn_accuracy(xy[single], y, seed):.3f} | "
              f"{wall:.1f} | {cpu:.1f} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 43_410])
    parser.add_argument("--max-points", type=int, default=5000)
    parser.add_argument("--methods", nargs="+", default=["svd", "pca", "tsne", "umap"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train = load_goemotions("train")
    texts, Y = list(train.data), np.asarray(train.target)
    print(f"GoEmotions train: {len(texts):,} rows x {Y.shape[1]} labels; map cap "
          f"{args.max_points:,} points")
    for n in args.sizes:
        run_size(texts, Y, min(n, len(texts)), args.max_points, args.methods, args.seed)


if __name__ == "__main__":
    main()
