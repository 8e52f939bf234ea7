"""scikit-multilearn's BinaryRelevance in its *default* configuration vs mlkit's.

For a scikit-learn base classifier scikit-multilearn defaults to
``require_dense=[True, True]``: it densifies X before every per-label fit.
``bench_estimators.py`` gives it the faster ``require_dense=[False, True]``;
this script measures the default, which is what users get without reading
scikit-multilearn's source, on the same shared features::

    .venv/bin/python benchmarks/bench_skml_default.py --dataset reuters --data-dir /work/shared/data
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_common as common  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="reuters", choices=common.DATASETS)
    p.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    args = p.parse_args(argv)

    from sklearn.svm import LinearSVC
    from skmultilearn.problem_transform import BinaryRelevance as SkmlBR

    import mlkit

    feats = common.read_features(common.prepare_features(args.dataset, args.data_dir))
    X, Y, Xt, Yt = feats["X_train"], feats["Y_train"], feats["X_test"], feats["Y_test"]
    rows = []
    for name, model in [
        ("mlkit BinaryRelevance(LinearSVC())", mlkit.BinaryRelevance(LinearSVC(random_state=0))),
        ("scikit-multilearn BinaryRelevance(LinearSVC()), default require_dense",
         SkmlBR(classifier=LinearSVC(random_state=0))),
    ]:
        t0 = time.perf_counter()
        model.fit(X, Y)
        t1 = time.perf_counter()
        pred = model.predict(Xt)
        t2 = time.perf_counter()
        pred = pred.toarray() if hasattr(pred, "toarray") else pred
        rows.append((name, common.f1(Yt, pred, "micro"), common.f1(Yt, pred, "macro"),
                     t1 - t0, t2 - t1))
    base_fit, base_pred = rows[0][3], rows[0][4]
    print(f"dataset: {args.dataset}; command: {' '.join(sys.argv)}")
    print("| method | micro-F1 | macro-F1 | fit (s) | predict (s) | fit × mlkit | predict × mlkit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, mi, ma, ft, pt in rows:
        print(f"| {name} | {mi:.4f} | {ma:.4f} | {ft:.2f} | {pt:.2f} | "
              f"{ft / base_fit:.1f}× | {pt / base_pred:.1f}× |")


if __name__ == "__main__":
    main()
