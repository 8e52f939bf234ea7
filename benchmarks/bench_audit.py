"""Benchmark of ``mlkit.insights.audit`` against cleanlab on injected label noise.

For each dataset (Reuters-21578 ApteMod train, GoEmotions train):

1. inject known noise with a fixed seed (``mlkit.insights.inject_label_noise``):
   remove 5% of the positive labels ("missing") and add one spurious positive
   label to 1% of the rows ("wrong");
2. run ``mlkit.insights.audit`` (default model ``make_classifier("tfidf")``,
   5-fold) on the noisy labels, timed;
3. give cleanlab (``cleanlab.multilabel_classification``) the SAME out-of-fold
   probabilities (``audit.oof_proba``) and compare the rankings and flag sets
   with the injected cells, at cell level (mlkit flags cells; cleanlab's
   per-class scores and ``find_multilabel_issues_per_class``) and at row level
   (``get_label_quality_scores`` and ``find_label_issues``);
4. retrain ``make_classifier("tfidf")`` on the clean labels (ceiling), the noisy
   labels, the noisy labels fixed by the audit's default suggestions
   (``audit.suggest_edits()``), and the noisy
   labels cleaned with cleanlab (flagged cells flipped, or flagged rows
   dropped), and score each on the untouched test split.

Audit results and retrained scores are cached in ``benchmarks/_out/audit/``
(git-ignored), keyed by the settings and the source of the mlkit modules
involved; ``--refresh`` recomputes them. Run timed runs under
``flock /tmp/mlkit-bench.lock``.
"""

import argparse
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# measure this checkout's mlkit, whatever an editable install elsewhere points to
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench_common import OUT_DIR, load_dataset, machine_info  # noqa: E402

CACHE = OUT_DIR / "audit"
# model seeds of the retraining: Reuters' macro-F1 moves by about 0.005 (sd) with the seed
# of the threshold-tuning folds alone (90 labels, many with a handful of test documents), so
# it is averaged over three; GoEmotions' fits take ~100 s each
RETRAIN_SEEDS = {"reuters": 3, "goemotions": 1}
# label bins (positives in the clean training labels) for the macro-F1 breakdown
SUPPORT_BINS = ((0, 10), (10, 50), (50, None))
REPO = Path(__file__).resolve().parent.parent
# edit policies retrained beside ``suggest_edits()`` with --edit-rules: keyword arguments of
# mlkit.insights._policy.select_cells on the audit's cell log-odds
EDIT_RULES = {
    # the 10 %-of-support cap (suggest_edits()' default until this policy is wired in)
    "share10": {"expected_cap": False, "max_share": 0.1, "keep_rows_labelled": False},
    # cells >= 0.5, at most the label's expected missing / wrong labels, rare labels keep
    # their positives, no row emptied
    "expected": {"expected_cap": True, "max_share": None},
    # the same without the rare-label rule
    "expected-rare0": {"expected_cap": True, "max_share": None, "rare_support": 0},
    # every cell >= 0.5 (rare labels keep their positives, no row emptied)
    "all-likely": {"expected_cap": False, "max_share": None},
    # cells >= 0.5, at most ceil(share x support) per label with the
    # share estimated by the audit (expected errors among the likely cells / positives),
    # rare labels keep their positives, no row emptied
    "auto-share": {"expected_cap": False, "max_share": "auto"},
}


def log(msg):
    print(f"[bench_audit] {msg}", file=sys.stderr, flush=True)


def _fingerprint():
    h = hashlib.sha1()
    files = sorted((REPO / "mlkit" / "insights").glob("*.py"))
    files += [REPO / "mlkit" / p for p in ("thresholds.py", "_factory.py", "model_selection.py")]
    files += [REPO / "mlkit" / "features" / "_tfidf.py"]
    files += sorted((REPO / "mlkit" / "transforms").glob("*.py"))
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


# ----------------------------------------------------------------------------- metrics

def ranking_metrics(target, score):
    """AP of ``score`` for the 0/1 ``target``, and precision / recall of the top K
    (K = number of positives, where the two are equal)."""
    from mlkit.metrics import average_precision_score

    target = np.asarray(target).ravel().astype(np.int64)
    score = np.asarray(score, dtype=np.float64).ravel()
    k = int(target.sum())
    top = np.argsort(-score, kind="stable")[:k]
    hits = int(target[top].sum())
    ap = float(average_precision_score(target.reshape(-1, 1), score.reshape(-1, 1)))
    return {"ap": ap, "k": k, "precision_at_k": hits / max(k, 1), "recall_at_k": hits / max(k, 1)}


def flag_metrics(target, flagged):
    target = np.asarray(target).ravel().astype(bool)
    flagged = np.asarray(flagged).ravel().astype(bool)
    tp = int((target & flagged).sum())
    p = tp / max(int(flagged.sum()), 1)
    r = tp / max(int(target.sum()), 1)
    return {"flagged": int(flagged.sum()), "precision": p, "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0}


def cleanlab_scores(Y, proba):
    """cleanlab's cell scores (several methods), row scores and flag sets, timed."""
    from cleanlab.multilabel_classification import filter as cl_filter
    from cleanlab.multilabel_classification import rank as cl_rank

    labels = [list(np.flatnonzero(r)) for r in Y]
    out = {"cell": {}, "row": {}, "seconds": {}}

    def per_class(method, adjust):
        q = np.asarray(cl_rank.get_label_quality_scores_per_class(
            labels, proba, method=method, adjust_pred_probs=adjust))
        return q.T if q.shape != Y.shape else q

    for key, method, adjust in (
            ("cleanlab self_confidence (default)", "self_confidence", False),
            ("cleanlab self_confidence, adjust_pred_probs", "self_confidence", True),
            ("cleanlab confidence_weighted_entropy", "confidence_weighted_entropy", False)):
        t = time.perf_counter()
        out["cell"][key] = 1.0 - per_class(method, adjust)  # higher = more suspicious
        row = cl_rank.get_label_quality_scores(labels, proba, method=method,
                                               adjust_pred_probs=adjust)
        out["row"][key] = 1.0 - np.asarray(row)
        out["seconds"][key] = time.perf_counter() - t
    t = time.perf_counter()
    rows = cl_filter.find_label_issues(labels, proba)
    out["seconds"]["find_label_issues"] = time.perf_counter() - t
    out["row_flags"] = np.asarray(rows, dtype=bool)
    t = time.perf_counter()
    cells = np.asarray(cl_filter.find_multilabel_issues_per_class(labels, proba), dtype=bool)
    out["seconds"]["find_multilabel_issues_per_class"] = time.perf_counter() - t
    out["cell_flags"] = cells.T if cells.shape != Y.shape else cells
    return out


# ----------------------------------------------------------------------------- audit

def run_audit(name, data, args):
    from mlkit.insights import audit, inject_label_noise

    key = (f"{name}-seed{args.seed}-m{args.missing}-s{args.spurious}-{args.spurious_from}"
           f"-cv{args.cv}-{_fingerprint()}")
    path = CACHE / f"{key}.npz"
    meta_path = CACHE / f"{key}.json"
    Y_noisy, flipped = inject_label_noise(data["Y_train"], missing=args.missing,
                                          spurious=args.spurious,
                                          spurious_from=args.spurious_from,
                                          random_state=args.seed)
    if path.exists() and meta_path.exists() and not args.refresh:
        log(f"{name}: audit from cache {path.name}")
        z = np.load(path, allow_pickle=False)
        res = {k: z[k] for k in z.files}
        res["meta"] = json.loads(meta_path.read_text())
        res["Y_noisy"], res["flipped"] = Y_noisy, flipped
        return res
    log(f"{name}: auditing {len(data['train_texts'])} rows ...")
    t0 = time.perf_counter()
    result = audit(None, data["train_texts"], Y_noisy, label_names=data["label_names"],
                   cv=args.cv, random_state=0, verbose=True)
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    edits = result.suggest_edits()
    _, Y_fixed, _ = edits.apply(data["train_texts"], Y_noisy)
    edit_seconds = time.perf_counter() - t1
    t2 = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no cache folder yet
    html = CACHE / f"{name}-audit.html"
    result.to_html(html)
    html_seconds = time.perf_counter() - t2
    res = {
        "oof_proba": result.oof_proba, "context_proba": result.context_proba,
        "issue_scores": result.issue_scores, "dep": result.data_error_scores,
        "error_probability": result.error_probability, "fold": result.fold,
        "Y_fixed": Y_fixed, "log_odds": result._log_odds,
    }
    meta = {"audit_seconds": seconds, "to_html_seconds": html_seconds,
            "html_bytes": html.stat().st_size, "edits_seconds": edit_seconds,
            "n_edits": len(edits), "noise_rates": result.noise_rates,
            "n_label_issues_listed": int(len(result.label_issues)),
            "n_duplicate_rows": int(len(result.duplicates)),
            "summary": result.summary()}
    np.savez_compressed(path, **res)
    meta_path.write_text(json.dumps(meta, indent=1))
    res["meta"] = meta
    res["Y_noisy"], res["flipped"] = Y_noisy, flipped
    return res


def policy_edits(res, rule):
    """The noisy labels with the cells of edit policy ``rule`` (``EDIT_RULES``) flipped."""
    from mlkit.insights._policy import select_cells

    Y = res["Y_noisy"]
    rows, cols = select_cells(res["log_odds"], Y, **EDIT_RULES[rule])
    Y_fixed = Y.copy()
    Y_fixed[rows, cols] = 1 - Y_fixed[rows, cols]
    return Y_fixed


def ablation_no_context(Y, proba):
    """mlkit's scoring with the text model's probabilities only (no row context)."""
    from mlkit.insights._scoring import _sigmoid, cell_scores, estimate_noise_rates, row_scores

    rates = estimate_noise_rates(proba, Y)
    log_odds = cell_scores(proba, Y, rates)
    errp, dep, _ = row_scores(log_odds, proba)
    return _sigmoid(log_odds), errp, dep


# ----------------------------------------------------------------------------- retrain

def retrain(name, data, variants, args):
    """Fit ``make_classifier("tfidf", random_state=s)`` on each variant for each model seed
    ``s`` and score it on the test split; mean (and standard deviation) over the seeds."""
    from mlkit import make_classifier
    from mlkit.metrics import f1_score

    n_seeds = args.retrain_seeds or RETRAIN_SEEDS[name]
    key = (f"{name}-seed{args.seed}-m{args.missing}-s{args.spurious}-{args.spurious_from}"
           f"-cv{args.cv}-{_fingerprint()}-retrain")
    path = CACHE / f"{key}.json"
    cached = json.loads(path.read_text()) if path.exists() and not args.refresh else {}
    out = {}
    for vname, (texts, Y) in variants.items():
        runs = []
        for model_seed in range(n_seeds):
            ckey = f"{vname}|{model_seed}"
            if ckey not in cached:
                log(f"{name}: training on {vname} ({len(texts)} rows), model seed "
                    f"{model_seed} ...")
                t = time.perf_counter()
                model = make_classifier("tfidf", random_state=model_seed).fit(texts, Y)
                fit_s = time.perf_counter() - t
                pred = model.predict(data["test_texts"])
                cached[ckey] = {
                    "f1_micro": float(f1_score(data["Y_test"], pred, average="micro")),
                    "f1_macro": float(f1_score(data["Y_test"], pred, average="macro")),
                    "f1_per_label": np.asarray(
                        f1_score(data["Y_test"], pred, average=None)).round(6).tolist(),
                    "fit_seconds": fit_s,
                }
                CACHE.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(cached, indent=1))
            runs.append(cached[ckey])
        macro = np.array([r["f1_macro"] for r in runs])
        micro = np.array([r["f1_micro"] for r in runs])
        per_label = np.mean([r["f1_per_label"] for r in runs], axis=0)
        support = data["Y_train"].sum(axis=0)  # clean training support: same bins for all
        bins = {f"{lo}-{hi - 1}" if hi else f">={lo}": (support >= lo) & (
            support < hi if hi else True) for lo, hi in SUPPORT_BINS}
        out[vname] = {"n_train": len(texts), "n_seeds": n_seeds,
                      "f1_macro": float(macro.mean()), "f1_macro_sd": float(macro.std(ddof=1))
                      if n_seeds > 1 else None, "f1_macro_runs": macro.round(4).tolist(),
                      "f1_micro": float(micro.mean()),
                      "f1_macro_by_support": {k: [float(per_label[m].mean()), int(m.sum())]
                                              for k, m in bins.items() if m.any()},
                      "fit_seconds": float(np.mean([r["fit_seconds"] for r in runs]))}
    return out


# ----------------------------------------------------------------------------- validate

def _validation_variants(res, Y_clean_part, rules):
    variants = {"clean labels (ceiling)": Y_clean_part, "noisy labels": res["Y_noisy"]}
    variants.update({f"edit policy {rule!r}": policy_edits(res, rule) for rule in rules})
    return variants


def _fit_predict(X_fit, Y, X_pred):
    """make_classifier("tfidf", random_state=0) on precomputed TF-IDF features (its
    featurizer does not use the labels, so this equals fitting the whole pipeline)."""
    from mlkit import make_classifier

    return make_classifier("tfidf", random_state=0).steps[-1][1].fit(X_fit, Y).predict(X_pred)


def validate(name, args):
    """The edit rules on data that never touches the test split (how they were chosen):
    Reuters, 5 rotating validation folds of train (stratified on the clean labels, seed 0):
    audit the noisy other 80 %, edit, retrain, predict the held-out 20 %, pooled macro-F1
    against the clean labels; GoEmotions: audit all noisy train rows, retrain, macro-F1
    on the official dev split."""
    from mlkit import make_classifier
    from mlkit.insights import audit, inject_label_noise
    from mlkit.metrics import f1_score
    from mlkit.model_selection import MultilabelStratifiedKFold

    data = load_dataset(name, args.data_dir, dev=name == "goemotions")
    Y_clean = data["Y_train"]
    texts = data["train_texts"]
    Y_noisy, flipped = inject_label_noise(Y_clean, missing=args.missing, spurious=args.spurious,
                                          spurious_from=args.spurious_from,
                                          random_state=args.seed)
    if name == "goemotions":
        parts = [(np.arange(len(texts)), None)]
    else:
        splitter = MultilabelStratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        parts = list(splitter.split(np.zeros((len(texts), 1)), Y_clean))
    preds, stats = {}, {}
    for k, (fit_rows, held_out) in enumerate(parts):
        fit_texts = [texts[i] for i in fit_rows]
        pred_texts = data["dev_texts"] if held_out is None else [texts[i] for i in held_out]
        log(f"{name}: validation part {k + 1}/{len(parts)}: auditing {len(fit_rows)} rows ...")
        result = audit(None, fit_texts, Y_noisy[fit_rows], cv=args.cv, random_state=0)
        res = {"Y_noisy": Y_noisy[fit_rows], "log_odds": result._log_odds}
        featurizer = make_classifier("tfidf", random_state=0).steps[0][1]
        X_fit = featurizer.fit_transform(fit_texts)
        X_pred = featurizer.transform(pred_texts)
        for vname, Y in _validation_variants(res, Y_clean[fit_rows], args.edit_rules).items():
            log(f"{name}: part {k + 1}, training on {vname} ...")
            pred = _fit_predict(X_fit, Y, X_pred)
            if held_out is None:
                preds[vname] = pred
            else:
                preds.setdefault(vname, np.zeros_like(Y_clean))[held_out] = pred
            changed = Y != Y_noisy[fit_rows]
            s = stats.setdefault(vname, [0, 0])
            s[0] += int(changed.sum())
            s[1] += int((changed & flipped[fit_rows]).sum())
    Y_true = data["Y_dev"] if name == "goemotions" else Y_clean
    out = {}
    for vname, pred in preds.items():
        out[vname] = {"f1_macro": float(f1_score(Y_true, pred, average="macro")),
                      "cells_changed_per_part": stats[vname][0] / len(parts),
                      "injected_fixed_per_part": stats[vname][1] / len(parts)}
    return out


def validation_markdown(results, args):
    lines = [f"# bench_audit --validate (noise seed {args.seed}, {args.missing:.0%} missing / "
             f"{args.spurious:.0%} spurious; no test data)", ""]
    for name, out in results.items():
        base = out["noisy labels"]["f1_macro"]
        where = ("pooled 5 validation folds of train" if name == "reuters"
                 else "official dev split")
        lines.append(f"## {name} (macro-F1 on the {where}, clean labels)")
        lines.append("")
        lines.append(fmt_table(
            ["training labels", "cells changed (per part)", "injected errors undone",
             "macro-F1", "vs noisy"],
            [(v, f"{o['cells_changed_per_part']:.0f}", f"{o['injected_fixed_per_part']:.0f}",
              f"{o['f1_macro']:.4f}", f"{o['f1_macro'] - base:+.4f}") for v, o in out.items()]))
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main

def bench_dataset(name, args):
    t_all = time.perf_counter()
    data = load_dataset(name, args.data_dir)
    res = run_audit(name, data, args)
    Y, F = res["Y_noisy"], res["flipped"]
    proba = res["oof_proba"]
    missing = F & (Y == 0)
    wrong = F & (Y == 1)
    rows_noisy = F.any(axis=1)
    report = {"dataset": name, "n_rows": int(Y.shape[0]), "n_labels": int(Y.shape[1]),
              "n_positive_clean": int(data["Y_train"].sum()),
              "injected_missing": int(missing.sum()), "injected_wrong": int(wrong.sum()),
              "rows_with_injected": int(rows_noisy.sum()),
              "rows_empty_after_noise": int((Y.sum(axis=1) == 0).sum()),
              "rows_empty_clean": int((data["Y_train"].sum(axis=1) == 0).sum()),
              "audit": res["meta"]}
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cl = cleanlab_scores(Y, proba)
    log(f"{name}: cleanlab scores ({time.perf_counter() - t:.1f} s)")
    cell_nc, errp_nc, dep_nc = ablation_no_context(Y, proba)

    cell_methods = {"mlkit audit (issue_scores)": res["issue_scores"],
                    "mlkit, no row context (ablation)": cell_nc}
    cell_methods.update(cl["cell"])
    q = res["context_proba"]
    cell_methods["cleanlab self_confidence on mlkit's context probabilities"] = np.where(
        Y == 1, 1 - q, q)
    report["cell_ranking"] = {
        m: {**ranking_metrics(F, s),
            "ap_missing": ranking_metrics(missing[Y == 0], s[Y == 0])["ap"],
            "ap_wrong": ranking_metrics(wrong[Y == 1], s[Y == 1])["ap"]}
        for m, s in cell_methods.items()}
    report["cell_flags"] = {
        "mlkit: score >= 0.5": flag_metrics(F, res["issue_scores"] >= 0.5),
        "cleanlab find_multilabel_issues_per_class": flag_metrics(F, cl["cell_flags"]),
    }
    row_methods = {"mlkit data_error_scores (DEP)": res["dep"],
                   "mlkit error_probability": res["error_probability"],
                   "mlkit DEP, no row context (ablation)": dep_nc}
    row_methods.update(cl["row"])
    report["row_ranking"] = {m: ranking_metrics(rows_noisy, s) for m, s in row_methods.items()}
    report["row_flags"] = {
        "mlkit: rows with a cell score >= 0.5": flag_metrics(
            rows_noisy, (res["issue_scores"] >= 0.5).any(axis=1)),
        "cleanlab find_label_issues": flag_metrics(rows_noisy, cl["row_flags"]),
    }
    report["cleanlab_seconds"] = cl["seconds"]
    # how the audit's default edits relate to the injected cells
    changed = res["Y_fixed"] != Y
    report["edits"] = {"likely_cells": int((res["issue_scores"] >= 0.5).sum()),
                       "cells_changed": int(changed.sum()),
                       "injected_fixed": int((changed & F).sum()),
                       "clean_cells_changed": int((changed & ~F).sum())}
    policy_fixed = {rule: policy_edits(res, rule) for rule in args.edit_rules}
    report["policy_edits"] = {
        rule: {"cells_changed": int((Yp != Y).sum()),
               "injected_fixed": int(((Yp != Y) & F).sum()),
               "clean_cells_changed": int(((Yp != Y) & ~F).sum()),
               "rows_emptied": int(((Yp.sum(axis=1) == 0) & (Y.sum(axis=1) > 0)).sum())}
        for rule, Yp in policy_fixed.items()}
    if not args.no_retrain:
        texts = data["train_texts"]
        cl_cells = cl["cell_flags"]
        Y_cl_flip = np.where(cl_cells, 1 - Y, Y)
        keep = np.flatnonzero(~cl["row_flags"])
        variants = {
            "clean labels (ceiling)": (texts, data["Y_train"]),
            "noisy labels": (texts, Y),
            "noisy, fixed by mlkit audit suggestions": (texts, res["Y_fixed"]),
            **{f"noisy, fixed by edit policy {rule!r}": (texts, Yp)
               for rule, Yp in policy_fixed.items()},
            "noisy, cleanlab per-class flags flipped": (texts, Y_cl_flip),
            "noisy, cleanlab flagged rows dropped": ([texts[i] for i in keep], Y[keep]),
        }
        report["retrain"] = retrain(name, data, variants, args)
    report["wall_seconds"] = time.perf_counter() - t_all
    return report


def fmt_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def flag_table(title, flags):
    return fmt_table(
        [title, "flagged", "precision", "recall", "F1"],
        [(m, v["flagged"], f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}")
         for m, v in flags.items()])


def markdown(reports, args, machine, total):
    lines = [f"# bench_audit results (noise seed {args.seed})", ""]
    lines.append(f"Machine: {machine['cpu']}, {machine['nproc']} vCPU, {machine['ram_gb']} GB RAM; "
                 f"Python {machine['python']}, scikit-learn {machine['scikit-learn']}, "
                 f"mlkit {machine['mlkit_commit']}; total wall time {total:.0f} s.")
    lines.append("")
    for r in reports:
        n = r["dataset"]
        lines.append(f"## {n}: {r['n_rows']} rows x {r['n_labels']} labels")
        lines.append("")
        lines.append(
            f"Injected: {r['injected_missing']} missing + {r['injected_wrong']} wrong = "
            f"{r['injected_missing'] + r['injected_wrong']} cells in {r['rows_with_injected']} "
            f"rows; rows left with no label: {r['rows_empty_after_noise']} "
            f"(clean data: {r['rows_empty_clean']}). Audit wall time "
            f"{r['audit']['audit_seconds']:.1f} s, to_html {r['audit']['to_html_seconds']:.1f} s "
            f"({r['audit']['html_bytes'] / 1e6:.1f} MB); estimated noise rates used for the "
            f"mixing: missing {r['audit']['noise_rates']['missing']:.4f}, wrong "
            f"{r['audit']['noise_rates']['wrong']:.5f}.")
        lines.append("")
        lines.append("Cell level (K = injected cells; precision@K = recall@K):")
        lines.append("")
        lines.append(fmt_table(
            ["method", "AP", "precision@K = recall@K", "AP missing (given 0)",
             "AP wrong (given 1)"],
            [(m, f"{v['ap']:.3f}", f"{v['precision_at_k']:.3f}", f"{v['ap_missing']:.3f}",
              f"{v['ap_wrong']:.3f}") for m, v in r["cell_ranking"].items()]))
        lines.append("")
        lines.append(flag_table("cell flag set", r["cell_flags"]))
        lines.append("")
        lines.append(f"Row level (K = {r['rows_with_injected']} rows with an injected cell):")
        lines.append("")
        lines.append(fmt_table(
            ["method", "AP", "precision@K = recall@K"],
            [(m, f"{v['ap']:.3f}", f"{v['precision_at_k']:.3f}")
             for m, v in r["row_ranking"].items()]))
        lines.append("")
        lines.append(flag_table("row flag set", r["row_flags"]))
        lines.append("")
        e = r["edits"]
        lines.append(f"Audit's default edits (`suggest_edits()`: of the {e['likely_cells']} "
                     "cells with score >= 0.5, at most ceil(0.1 x support) per label, highest "
                     "scores first, and no removal from labels with fewer than 10 positives): "
                     f"{e['cells_changed']} cells changed, {e['injected_fixed']} of them "
                     f"injected errors undone, {e['clean_cells_changed']} other cells changed.")
        lines.append("")
        if r.get("policy_edits"):
            lines.append(fmt_table(
                ["edit policy (--edit-rules)", "cells changed", "injected errors undone",
                 "other cells changed", "labelled rows left empty"],
                [(rule, v["cells_changed"], v["injected_fixed"], v["clean_cells_changed"],
                  v["rows_emptied"]) for rule, v in r["policy_edits"].items()]))
            lines.append("")
        if "retrain" in r:
            base = r["retrain"]["noisy labels"]
            n_seeds = base["n_seeds"]
            lines.append("Retrained `make_classifier(\"tfidf\", random_state=s)`, scored on the "
                         "untouched test split"
                         + (f" (mean over model seeds s = 0..{n_seeds - 1}; macro-F1 of each "
                            "seed in brackets):" if n_seeds > 1 else " (model seed 0):"))
            lines.append("")

            def macro(v):
                if v["n_seeds"] == 1:
                    return f"{v['f1_macro']:.4f}"
                runs = ", ".join(f"{x:.4f}" for x in v["f1_macro_runs"])
                return f"{v['f1_macro']:.4f} ± {v['f1_macro_sd']:.4f} [{runs}]"

            lines.append(fmt_table(
                ["training labels", "train rows", "test micro-F1", "test macro-F1",
                 "macro-F1 vs noisy", "fit s"],
                [(v_name, v["n_train"], f"{v['f1_micro']:.4f}", macro(v),
                  f"{v['f1_macro'] - base['f1_macro']:+.4f}", f"{v['fit_seconds']:.0f}")
                 for v_name, v in r["retrain"].items()]))
            lines.append("")
            keys = list(base["f1_macro_by_support"])
            lines.append("Test macro-F1 by the label's number of positive training rows "
                         "(clean labels; number of labels in brackets):")
            lines.append("")
            lines.append(fmt_table(
                ["training labels", *(f"{k} ({base['f1_macro_by_support'][k][1]} labels)"
                                      for k in keys)],
                [(v_name, *(f"{v['f1_macro_by_support'][k][0]:.4f}" for k in keys))
                 for v_name, v in r["retrain"].items()]))
            lines.append("")
        lines.append(f"Dataset wall time (cached parts excluded): {r['wall_seconds']:.0f} s.")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="all", choices=["reuters", "goemotions", "all"])
    p.add_argument("--data-dir", default="/work/shared/data")
    p.add_argument("--seed", type=int, default=2, help="noise seed (2 = the reported seed; "
                   "1 was used to choose the method)")
    p.add_argument("--missing", type=float, default=0.05)
    p.add_argument("--spurious", type=float, default=0.01)
    p.add_argument("--spurious-from", default="uniform", choices=["uniform", "prior"])
    p.add_argument("--cv", type=int, default=5)
    p.add_argument("--no-retrain", action="store_true")
    p.add_argument("--retrain-seeds", type=int, default=None,
                   help="model seeds per retrained variant (default: 3 for Reuters, 1 for "
                   "GoEmotions)")
    p.add_argument("--refresh", action="store_true", help="ignore the cache")
    p.add_argument("--validate", action="store_true", help="compare the --edit-rules on "
                   "train-only validation (Reuters: 5 folds of train; GoEmotions: dev split), "
                   "as they were chosen (use --seed 1); no test data, no cleanlab")
    p.add_argument("--edit-rules", default="", help="comma-separated edit policies to "
                   f"retrain beside suggest_edits() ({', '.join(EDIT_RULES)}; see EDIT_RULES)")
    p.add_argument("--out")
    p.add_argument("--json")
    args = p.parse_args(argv)
    args.edit_rules = [r for r in args.edit_rules.split(",") if r]
    unknown = sorted(set(args.edit_rules) - set(EDIT_RULES))
    if unknown:
        p.error(f"unknown --edit-rules {unknown}; choose from {sorted(EDIT_RULES)}")
    names = ["reuters", "goemotions"] if args.dataset == "all" else [args.dataset]
    t0 = time.perf_counter()
    if args.validate:
        results = {n: validate(n, args) for n in names}
        md = validation_markdown(results, args)
        print(md)
        if args.out:
            Path(args.out).write_text(md + "\n")
        if args.json:
            Path(args.json).write_text(json.dumps(
                {"args": vars(args), "results": results,
                 "total_seconds": time.perf_counter() - t0}, indent=1, default=str))
        return
    reports = [bench_dataset(n, args) for n in names]
    total = time.perf_counter() - t0
    machine = machine_info()
    md = markdown(reports, args, machine, total)
    print(md)
    if args.out:
        Path(args.out).write_text(md + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "machine": machine,
                                               "reports": reports, "total_seconds": total},
                                              indent=1, default=str))


if __name__ == "__main__":
    main()
