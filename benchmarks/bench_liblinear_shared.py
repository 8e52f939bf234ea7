"""Would one shared LIBLINEAR problem make per-label fits faster? (issue 15, item 4)

LibMultiLabel's one-vs-rest builds LIBLINEAR's problem (the features in
LIBLINEAR's own format) once and trains every label on it; scikit-learn's
``LinearSVC`` converts the features again in every ``fit``. This probe times,
in one process and one thread, on the training features of
``TfidfFeaturizer()``:

* scikit-learn: one ``LinearSVC(C, tol, random_state=0).fit`` per label;
* LIBLINEAR's own Python binding (``liblinear-multicore``, LibMultiLabel's
  dependency): one ``problem`` for all labels, ``y`` rewritten per label, the C
  library's ``rand`` seeded before each label (its shuffling is process-wide),
  the same solver (``-s 1``: dual, squared hinge), ``C``, tolerance and bias
  (``-B 1``, scikit-learn's ``intercept_scaling=1``);

and compares the 0/1 test decisions cell by cell (decision value > 0)::

    .venv/bin/python benchmarks/bench_liblinear_shared.py --dataset reuters
    .venv/bin/python benchmarks/bench_liblinear_shared.py --dataset reuters --C 0.5 --tol 0.1

Needs the ``bench`` extras (``liblinear-multicore``) and a C library that
exports ``srand`` (glibc).
"""

import argparse
import ctypes
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_common as common  # noqa: E402
import numpy as np  # noqa: E402


def _sklearn(F, Y, C, tol):
    from sklearn.svm import LinearSVC

    out = []
    for j in range(Y.shape[1]):
        m = LinearSVC(C=C, tol=tol, random_state=0).fit(F, Y[:, j])
        out.append((m.coef_.ravel(), float(m.intercept_[0])))
    return out


def _shared_problem(F, Y, C, tol, solver):
    from liblinear import liblinear as L

    libc = ctypes.CDLL(None)
    prob = L.problem(np.zeros(F.shape[0]), F.tocsr(), bias=1.0)
    param = L.parameter(f"-s {solver} -c {C} -e {tol} -B 1 -q")
    y = np.ctypeslib.as_array(prob.y, (prob.l,))
    out = []
    for j in range(Y.shape[1]):
        y[:] = np.where(Y[:, j] == 1, 1.0, -1.0)
        libc.srand(1)
        model = L.toPyModel(L.liblinear.train(prob, param))
        w = np.ctypeslib.as_array(model.w, (prob.n,)).copy()
        if model.get_labels()[0] != 1:  # LIBLINEAR's first label is the positive side
            w = -w
        out.append((w[:-1], float(w[-1])))
    return out


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="reuters", choices=("reuters", "goemotions"))
    p.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--solver", type=int, default=1, help="LIBLINEAR -s (1: as LinearSVC)")
    p.add_argument("--rounds", type=int, default=2, help="alternated rounds")
    args = p.parse_args(argv)
    from threadpoolctl import threadpool_limits

    from mlkit import TfidfFeaturizer

    data = common.load_dataset(args.dataset, args.data_dir)
    feats = TfidfFeaturizer().fit(data["train_texts"])
    F = feats.transform(data["train_texts"]).astype(np.float64).tocsr()
    F_test = feats.transform(data["test_texts"]).astype(np.float64).tocsr()
    Y = data["Y_train"]
    print(f"command: {' '.join(sys.argv)}")
    print(f"machine: {common.machine_info()}")
    print(f"{args.dataset}: {F.shape[0]} x {F.shape[1]}, {F.nnz} non-zeros, {Y.shape[1]} labels; "
          f"C={args.C}, tol={args.tol}, LIBLINEAR -s {args.solver}")
    print("| round | scikit-learn wall (s) | CPU (s) | shared problem wall (s) | CPU (s) | "
          "shared / scikit-learn | test decisions equal | max abs decision difference |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    with threadpool_limits(limits=1):
        for r in range(args.rounds):
            a, wa, ca = _timed(_sklearn, F, Y, args.C, args.tol)
            b, wb, cb = _timed(_shared_problem, F, Y, args.C, args.tol, args.solver)
            equal = total = 0
            diff = 0.0
            for (w1, b1), (w2, b2) in zip(a, b, strict=True):
                d1, d2 = F_test @ w1 + b1, F_test @ w2 + b2
                equal += int(((d1 > 0) == (d2 > 0)).sum())
                total += d1.size
                diff = max(diff, float(np.abs(d1 - d2).max()))
            print(f"| {r + 1} | {wa:.2f} | {ca:.2f} | {wb:.2f} | {cb:.2f} | {wb / wa:.2f} | "
                  f"{equal:,} of {total:,} | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
