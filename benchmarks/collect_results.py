"""Collect the named results that the docs quote into ``benchmarks/results.json``.

The benchmark scripts write their measurements as markdown tables (``RESULTS*.md``).
This script reads the cells listed in ``SPEC`` from those tables and writes them, one
name per figure, to ``results.json``. The docs quote a figure with a marker after the
number, ``0.485<!-- r:goemotions.tfidf.macro_f1 -->``, and ``tests/test_docs.py`` checks
that every marked figure equals (at the precision shown) the value in ``results.json``,
and that ``results.json`` is what this script makes of the current tables.

After a benchmark run that changes a ``RESULTS*.md`` table::

    .venv/bin/python benchmarks/collect_results.py      # rewrites benchmarks/results.json
    .venv/bin/python -m pytest tests/test_docs.py -k results   # lists every stale quote
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results.json"

# name prefix -> (file, section heading starts with, {column: text the cell contains}
# that selects the row, optionally "#table": the index of the table in the section); then the
# columns to read, as {name suffix: column header}
_ESTIMATOR_COLUMNS = {"micro_f1": "micro-F1", "macro_f1": "macro-F1", "p_at_1": "P@1",
                      "fit_s": "fit (s)"}
_NEURAL_COLUMNS = {"macro_f1": "macro-F1", "micro_f1": "micro-F1", "fit_s": "fit (s)"}
SPEC = {
    "reuters.tfidf": ("RESULTS.md", "### reuters (speed suite, compiled dual solver)",
                      {"method": 'mlkit `make_classifier("tfidf")`'}, _ESTIMATOR_COLUMNS),
    "reuters.sklearn_ovr_svc": ("RESULTS.md", "## Reuters",
                                {"method": "sklearn `OneVsRestClassifier(LinearSVC())`"},
                                _ESTIMATOR_COLUMNS),
    "reuters.libmultilabel_cost_sensitive": (
        "RESULTS.md", "## Reuters", {"method": "LibMultiLabel `linear.train_cost_sensitive`"},
        _ESTIMATOR_COLUMNS),
    "goemotions.tfidf": ("RESULTS.md", "### goemotions (speed suite, compiled dual solver)",
                         {"method": 'mlkit `make_classifier("tfidf")`'}, _ESTIMATOR_COLUMNS),
    "speed.goemotions.tfidf": ("RESULTS.md", "### goemotions (speed suite, compiled dual solver)",
                               {"method": 'mlkit `make_classifier("tfidf")`'},
                               _ESTIMATOR_COLUMNS),
    "speed.goemotions.hybrid": ("RESULTS.md", "### goemotions (speed suite, compiled dual solver)",
                                {"method": 'mlkit `make_classifier("hybrid")`'},
                                _ESTIMATOR_COLUMNS),
    "speed.reuters.tfidf": ("RESULTS.md", "### reuters (speed suite, compiled dual solver)",
                            {"method": 'mlkit `make_classifier("tfidf")`'}, _ESTIMATOR_COLUMNS),
    "goemotions.embeddings": ("RESULTS_neural.md", "## Quality on the GoEmotions test split",
                              {"method": 'make_classifier("embeddings")', "train rows": "43,410"},
                              _NEURAL_COLUMNS),
    "goemotions.hybrid": ("RESULTS_hybrid.md", "## Test split",
                          {"method": 'make_classifier("hybrid")'},
                          {"macro_f1": "macro-F1", "micro_f1": "micro-F1"}),
    "goemotions.embeddings_sentence_only": (
        "RESULTS_neural.md", "## Quality on the GoEmotions test split",
        {"method": "ablation: sentence embedding only"}, _NEURAL_COLUMNS),
    "goemotions.embeddings_sentence_logreg": (
        "RESULTS_neural.md", "## Quality on the GoEmotions test split",
        {"method": "ablation: sentence embedding + BinaryRelevance(LogisticRegression"},
        _NEURAL_COLUMNS),
    "goemotions_4000.transformer": ("RESULTS_neural.md",
                                    "### The committed rerun of the default row",
                                    {"method": "TransformerClassifier (default head"},
                                    _NEURAL_COLUMNS),
    "goemotions_4000.embeddings_dev_thresholds": (
        "RESULTS_neural.md", "## Quality on the GoEmotions test split",
        {"method": "embedding pipeline (every layer", "train rows": "4,000"}, _NEURAL_COLUMNS),
    "goemotions_4000.embeddings": (
        "RESULTS_neural.md", "## Quality on the GoEmotions test split",
        {"method": 'make_classifier("embeddings")', "train rows": "4,000"}, _NEURAL_COLUMNS),
    # the TF-IDF row of the neural benchmark's own run (same model; its fit time was
    # measured on a loaded machine, next to the embedding rows it is compared with)
    # the data audit against cleanlab (noise seed 2): average precision of the ranked cells
    # (first table of each dataset's section) and of the ranked rows (its third table)
    **{
        f"audit.{ds}.{level}.{who}": (
            "RESULTS_audit.md", heading, {"method": row, "#table": str(table)}, {"ap": "AP"})
        for ds, heading in (("reuters", "### Reuters-21578 ApteMod train"),
                            ("goemotions", "### GoEmotions train"))
        for level, table, rows in (
            ("cells", 0, (("mlkit", "mlkit audit (issue_scores)"),
                          ("cleanlab_best", "cleanlab self_confidence, adjust_pred_probs"))),
            ("rows", 2, (("mlkit", "mlkit data_error_scores (DEP)"),
                         ("cleanlab_best", "cleanlab self_confidence, adjust_pred_probs"))))
        for who, row in rows
    },
    "neural_run.goemotions.tfidf": (
        "RESULTS_neural.md", "## Quality on the GoEmotions test split",
        {"method": 'make_classifier("tfidf")'}, _NEURAL_COLUMNS),
}

_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _tables(text, section):
    """The markdown tables (header, rows) under the first heading that starts with ``section``."""
    lines = text.splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith(section)), None)
    if start is None:
        raise ValueError(f"no section {section!r}")
    level = len(section) - len(section.lstrip("#"))
    tables, i = [], start + 1
    while i < len(lines):
        x = lines[i]
        if x.startswith("#") and len(x) - len(x.lstrip("#")) <= level:
            break
        if x.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[\s:|-]+\|$", lines[i + 1]):
            header, rows = _cells(x), []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            tables.append((header, rows))
            continue
        i += 1
    return tables


def _value(cell):
    """(value, number of decimals shown) of the first number in a table cell."""
    m = _NUMBER.search(cell.replace("**", ""))
    if not m:
        raise ValueError(f"no number in cell {cell!r}")
    text = m.group().replace(",", "")
    return float(text), len(text.split(".")[1]) if "." in text else 0


def collect():
    """The results file's content, as a dict."""
    results = {}
    for prefix, (fname, section, select, columns) in SPEC.items():
        text = (HERE / fname).read_text(encoding="utf-8")
        select = dict(select)
        table = select.pop("#table", None)  # the n-th table of the section, when several match
        found = []
        for n, (header, rows) in enumerate(_tables(text, section)):
            if table is not None and n != int(table):
                continue
            if not all(col in header for col in [*select, *columns.values()]):
                continue
            for row in rows:
                if all(want in row[header.index(col)] for col, want in select.items()):
                    found.append((header, row))
        if len(found) != 1:
            raise ValueError(f"{prefix}: {len(found)} rows of {fname} {section!r} match {select}")
        header, row = found[0]
        for suffix, col in columns.items():
            cell = row[header.index(col)]
            value, decimals = _value(cell)
            results[f"{prefix}.{suffix}"] = {
                "value": value,
                "decimals": decimals,
                "source": f"benchmarks/{fname}",
                "section": section.lstrip("# "),
                "row": row[0],
                "column": col,
            }
    return {"generated_by": "benchmarks/collect_results.py", "results": results}


def main():
    OUT.write_text(json.dumps(collect(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
