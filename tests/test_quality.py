"""Quality targets of the default model on the full datasets (slow: ``make test-slow``).

These guard the headline numbers of benchmarks/RESULTS.md against regressions:
``make_classifier("tfidf")`` trained on the training split, scored on the test split.
"""

import os
from pathlib import Path

import pytest

import mlkit
from mlkit import metrics
from mlkit.datasets import load_goemotions, load_reuters

pytestmark = pytest.mark.slow


def _fit_and_score(train, test):
    # the labels as named DataFrame columns, as `mlkit train` passes them: rare labels get
    # their name as a training text (TextPipeline); the predictions keep the column order
    model = mlkit.make_classifier("tfidf").fit(train.data, train.target)
    pred = model.predict(test.data)
    truth = test.target.to_numpy()
    return (metrics.f1_score(truth, pred, average="micro"),
            metrics.f1_score(truth, pred, average="macro"))


def test_reuters_targets():
    root = os.environ.get("MLKIT_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
    path = Path(root) / "reuters21578"
    if not (path / "aptemod_train.jsonl.gz").exists():
        pytest.skip(f"Reuters ApteMod not found in {path}; set MLKIT_DATA_DIR")
    micro, macro = _fit_and_score(load_reuters(path, "train", as_frame=True),
                                  load_reuters(path, "test", as_frame=True))
    # measured 0.885 / 0.626 (C=0.5 chosen, 34 rare labels named); issue 15's targets are
    # 0.88 / 0.62
    assert micro >= 0.88 and macro >= 0.62, (micro, macro)


def test_goemotions_targets():
    micro, macro = _fit_and_score(load_goemotions("train", as_frame=True),
                                  load_goemotions("test", as_frame=True))
    # measured 0.565 / 0.494 (C=0.2 chosen); issue 15's target is macro-F1 >= 0.485
    assert macro >= 0.485 and micro >= 0.55, (micro, macro)
