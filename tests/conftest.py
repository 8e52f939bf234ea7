"""Shared fixtures: small slices of real data, loaded once per test session.

* ``goemotions_slice``: 1,500 GoEmotions train rows and 500 test rows (bundled with
  mlkit, so always available), 28 labels, several of them with fewer than ten positives.
* ``jigsaw_sample``: the 267-row Jigsaw toxic-comment sample (six 0/1 label columns, two
  of them with three or fewer positives), read from the shared data folder. The folder
  is ``../shared/data`` next to the repository, or the path in ``MLKIT_DATA_DIR``; tests
  that need it are skipped with the reason when it is absent.
"""

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

N_TRAIN = 1500
N_TEST = 500


def shared_data_dir():
    """The shared data folder: ``$MLKIT_DATA_DIR`` or ``<repo>/../shared/data``."""
    env = os.environ.get("MLKIT_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def single_blas_thread():
    """One BLAS thread: the fits in these tests are tiny, and on a shared, loaded
    machine oversubscribed BLAS threads make a 50 ms fit take seconds."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def goemotions_slice():
    """1,500 train and 500 test GoEmotions comments with their 28-label indicator
    matrices (``Bunch`` of ``X_train``, ``Y_train``, ``X_test``, ``Y_test``,
    ``label_names``). Each test gets the same objects: do not modify them."""
    from mlkit.datasets import load_goemotions

    train = load_goemotions("train")
    test = load_goemotions("test")
    return Bunch(
        X_train=list(train.data[:N_TRAIN]),
        Y_train=train.target[:N_TRAIN].copy(),
        X_test=list(test.data[:N_TEST]),
        Y_test=test.target[:N_TEST].copy(),
        label_names=np.asarray(train.target_names, dtype=object),
    )


@pytest.fixture(scope="session")
def goemotions_tfidf(goemotions_slice):
    """The GoEmotions slice as TF-IDF features (float32 CSR, fitted on the train rows)."""
    from mlkit import TfidfFeaturizer

    feat = TfidfFeaturizer()
    X_train = feat.fit_transform(goemotions_slice.X_train)
    X_test = feat.transform(goemotions_slice.X_test)
    return Bunch(
        X_train=X_train,
        Y_train=goemotions_slice.Y_train,
        X_test=X_test,
        Y_test=goemotions_slice.Y_test,
        label_names=goemotions_slice.label_names,
    )


@pytest.fixture(scope="session")
def jigsaw_sample():
    """The Jigsaw sample: ``Bunch`` of ``texts`` (Series), ``labels`` (DataFrame of six
    0/1 columns) and ``label_names``."""
    pd = pytest.importorskip("pandas")
    path = shared_data_dir() / "jigsaw_sample" / "train.csv"
    if not path.is_file():
        pytest.skip(
            f"Jigsaw sample not found at {path}; set MLKIT_DATA_DIR to the folder holding "
            "jigsaw_sample/train.csv to run this test."
        )
    df = pd.read_csv(path)
    names = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    return Bunch(texts=df["comment_text"], labels=df[names], label_names=np.asarray(names))
