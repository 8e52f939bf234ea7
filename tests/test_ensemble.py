"""ScoreBlend and make_hybrid on real GoEmotions slices: the blend's arithmetic, parameters
and errors on TF-IDF features (cheap members), then the hybrid of TF-IDF and MiniLM
embeddings on raw texts: each text encoded once across the tuner's folds, decisions, and a
safe model-file round trip."""

import warnings

import numpy as np
import pytest
from _neural_fixtures import hub_offline, minilm_dir  # noqa: F401
from sklearn.base import clone
from sklearn.linear_model import RidgeClassifier
from sklearn.svm import LinearSVC

from mlkit import BinaryRelevance, metrics
from mlkit.ensemble import ScoreBlend, make_hybrid

pytestmark = pytest.mark.usefixtures("single_blas_thread")

N_TRAIN = 300
N_TEST = 200


def _quiet():
    warnings.filterwarnings("ignore", message=".*single class in the training data.*")


def _blend(**kwargs):
    return ScoreBlend([("svc", BinaryRelevance(LinearSVC(C=0.5, random_state=0))),
                       ("ridge", BinaryRelevance(RidgeClassifier(alpha=1.0)))], **kwargs)


# --------------------------------------------------------------------------
# the blend on features
# --------------------------------------------------------------------------


def test_blend_is_the_weighted_mean_of_scaled_member_scores(goemotions_tfidf):
    d = goemotions_tfidf
    with warnings.catch_warnings():
        _quiet()
        blend = _blend(weights=[3, 1]).fit(d.X_train, d.Y_train)
        members = [est.fit(d.X_train, d.Y_train) for est in
                   (BinaryRelevance(LinearSVC(C=0.5, random_state=0)),
                    BinaryRelevance(RidgeClassifier(alpha=1.0)))]
    # the scale of a member: root mean square training score per label
    expected = 0.0
    for w, est in zip((0.75, 0.25), members, strict=True):
        scale = np.sqrt((est.decision_function(d.X_train) ** 2).mean(axis=0))
        expected = expected + w * est.decision_function(d.X_test) / scale
        np.testing.assert_allclose(blend.scales_[members.index(est)], scale, rtol=1e-6)
    np.testing.assert_allclose(blend.decision_function(d.X_test), expected, rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_array_equal(blend.predict(d.X_test), (expected > 0).astype(int))
    assert blend.response_methods_ == ["decision_function", "decision_function"]
    np.testing.assert_array_equal(blend.offsets_, [0.0, 0.0])
    assert list(blend.named_estimators_) == ["svc", "ridge"]
    assert blend.classes_.shape == (d.Y_train.shape[1],)
    # one member's whole weight: that member's own decisions
    with warnings.catch_warnings():
        _quiet()
        solo = _blend(weights=[0, 1]).fit(d.X_train, d.Y_train)
    np.testing.assert_array_equal(solo.predict(d.X_test), members[1].predict(d.X_test))


def test_probability_members_are_centred_on_one_half(goemotions_tfidf):
    from sklearn.linear_model import LogisticRegression

    d = goemotions_tfidf
    with warnings.catch_warnings():
        _quiet()
        blend = ScoreBlend([("lr", BinaryRelevance(LogisticRegression(max_iter=200)))],
                           response_method="predict_proba").fit(d.X_train, d.Y_train)
        P = blend.estimators_[0].predict_proba(d.X_test)
    assert blend.offsets_.tolist() == [0.5]
    np.testing.assert_array_equal(blend.predict(d.X_test), (P > 0.5).astype(int))


def test_sample_weight_reaches_every_member(goemotions_tfidf):
    d = goemotions_tfidf
    w = np.ones(d.X_train.shape[0])
    w[:100] = 0.0
    members = [("a", BinaryRelevance(RidgeClassifier(alpha=1.0))),
               ("b", BinaryRelevance(RidgeClassifier(alpha=5.0)))]
    with warnings.catch_warnings():
        _quiet()
        weighted = ScoreBlend(members).fit(d.X_train, d.Y_train, sample_weight=w)
        dropped = ScoreBlend(members).fit(d.X_train[100:], d.Y_train[100:])
    # weight 0 = the row is absent: same models, same spreads, same scores
    np.testing.assert_allclose(weighted.scales_, dropped.scales_, rtol=1e-5)
    np.testing.assert_allclose(weighted.decision_function(d.X_test),
                               dropped.decision_function(d.X_test), rtol=1e-4, atol=1e-6)


def test_params_follow_scikit_learn_conventions(goemotions_tfidf):
    blend = _blend(weights=[1, 2])
    params = blend.get_params()
    assert params["svc__estimator__C"] == 0.5 and params["weights"] == [1, 2]
    assert "ridge__estimator__alpha" in params
    blend.set_params(ridge__estimator__alpha=7.0, weights=[2, 1])
    assert blend.estimators[1][1].estimator.alpha == 7.0 and blend.weights == [2, 1]
    twin = clone(blend)
    assert twin.estimators[1][1] is not blend.estimators[1][1]
    assert twin.get_params()["ridge__estimator__alpha"] == 7.0
    blend.set_params(svc=BinaryRelevance(RidgeClassifier()))
    assert isinstance(blend.estimators[0][1].estimator, RidgeClassifier)
    assert not hasattr(blend, "estimators_")  # unfitted until fit


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": [1.0]}, "2 finite non-negative"),
    ({"weights": [1.0, -1.0]}, "non-negative"),
    ({"weights": [0.0, 0.0]}, "positive sum"),
    ({"estimators": []}, "non-empty list"),
    ({"estimators": [("a", BinaryRelevance()), ("a", BinaryRelevance())]}, "unique"),
    ({"estimators": [("a__b", BinaryRelevance())]}, "must not contain '__'"),
    ({"estimators": [BinaryRelevance()]}, r"\(name, estimator\) pair"),
])
def test_bad_parameters_say_what_to_do(goemotions_tfidf, kwargs, match):
    d = goemotions_tfidf
    blend = _blend(**{k: v for k, v in kwargs.items() if k != "estimators"})
    if "estimators" in kwargs:
        blend.estimators = kwargs["estimators"]
    with pytest.raises(ValueError, match=match):
        blend.fit(d.X_train, d.Y_train)


def test_bad_inputs(goemotions_tfidf):
    d = goemotions_tfidf
    with pytest.raises(TypeError, match="no fit method"):
        ScoreBlend([("a", "not an estimator")]).fit(d.X_train, d.Y_train)
    with pytest.raises(TypeError, match="single string"):
        _blend().fit("one text", d.Y_train[:1])
    with pytest.raises(ValueError, match="sample_weight must hold"):
        _blend().fit(d.X_train, d.Y_train, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must hold"):
        _blend().fit(d.X_train, d.Y_train, sample_weight=-np.ones(d.X_train.shape[0]))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        _blend().decision_function(d.X_test)


# --------------------------------------------------------------------------
# the hybrid: TF-IDF + MiniLM on raw texts
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hybrid_fit(hub_offline, goemotions_slice):  # noqa: F811
    """make_hybrid fitted on 300 texts no other test has encoded; (model, encoded count,
    texts, Y, test texts, test Y)."""
    pytest.importorskip("sentence_transformers")
    from mlkit.features import embedding_cache_info

    model_dir = minilm_dir()
    d = goemotions_slice
    X = [f"{t} [ensemble]" for t in d.X_train[:N_TRAIN]]
    X_test = [f"{t} [ensemble]" for t in d.X_test[:N_TEST]]
    before = sum(i["encoded"] for i in embedding_cache_info())
    hybrid = make_hybrid(model_dir)
    with warnings.catch_warnings():
        _quiet()
        hybrid.fit(X, d.Y_train[:N_TRAIN])
    encoded = sum(i["encoded"] for i in embedding_cache_info()) - before
    return hybrid, encoded, X, d.Y_train[:N_TRAIN], X_test, d.Y_test[:N_TEST]


def test_hybrid_encodes_each_text_once(hybrid_fit):
    from mlkit.features import embedding_cache_info

    hybrid, encoded, X, _, X_test, _ = hybrid_fit
    # 5 folds + the refit transform every training text 6 times or more; the encoder
    # saw each distinct text once
    assert encoded == len(set(X))
    before = sum(i["encoded"] for i in embedding_cache_info())
    hybrid.predict(X_test)
    hybrid.predict(X_test)
    assert sum(i["encoded"] for i in embedding_cache_info()) - before == len(set(X_test))


def test_hybrid_decisions_and_members(hybrid_fit):
    hybrid, _, X, Y, X_test, Y_test = hybrid_fit
    blend = hybrid.estimator_
    assert blend.names_ == ["tfidf", "embeddings"]
    assert blend.response_methods_ == ["decision_function", "decision_function"]
    assert blend.scales_.shape == (2, Y.shape[1]) and (blend.scales_ > 0).all()
    D = hybrid.predict(X_test)
    assert D.shape == Y_test.shape and set(np.unique(D)) <= {0, 1}
    # the decisions rank: blended scores beat the label prior on held-out texts
    S = hybrid.decision_function(X_test)
    prior = np.tile(Y.mean(axis=0), (len(X_test), 1))
    lrap = metrics.label_ranking_average_precision(Y_test, S)
    assert lrap > metrics.label_ranking_average_precision(Y_test, prior) + 0.05
    assert hybrid.get_params()["estimator__weights"] is None


def test_hybrid_round_trips_through_a_safe_model_file(hybrid_fit, tmp_path):
    from mlkit.persistence import load_model, save_model

    hybrid, _, _, _, X_test, _ = hybrid_fit
    path = tmp_path / "hybrid.mlkit"
    save_model(hybrid, path, serializer="safe")
    loaded = load_model(path)
    assert isinstance(loaded.estimator_, ScoreBlend)
    np.testing.assert_allclose(loaded.decision_function(X_test[:50]),
                               hybrid.decision_function(X_test[:50]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(X_test[:50]), hybrid.predict(X_test[:50]))


def test_make_hybrid_arguments():
    hybrid = make_hybrid("some/model", n_jobs=2, random_state=3, verbose=True)
    params = hybrid.get_params()
    assert params["estimator__embeddings__features__model"] == "some/model"
    assert params["estimator__embeddings__features__layers"] == "all"
    assert params["estimator__tfidf__classifier__n_jobs"] == 2
    assert params["estimator__tfidf__classifier__estimator__random_state"] == 3
    assert params["random_state"] == 3 and params["cv"] == 5 and params["verbose"] is True
    with pytest.raises(ValueError, match="verbose must be"):
        make_hybrid(verbose=3)


def test_safe_loader_vets_the_blend_scoring_methods():
    from mlkit.persistence import _param_problems

    ok = {"response_method": "auto", "response_methods_": ["decision_function"]}
    assert _param_problems("mlkit.ensemble.ScoreBlend", ok) == []
    # a file naming another method would make predict call it on the member
    bad = {"response_method": "fit", "response_methods_": ["decision_function", "__del__"]}
    problems = _param_problems("mlkit.ensemble.ScoreBlend", bad)
    assert len(problems) == 2 and "response_method=" in problems[0]
