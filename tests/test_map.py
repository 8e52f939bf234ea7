"""mlkit.insights embedding map: a 2-D projection of GoEmotions rows with clusters, their top
terms, label mix and error rate; the sample keeps every likely error; projections are compared
by trustworthiness; the HTML map and its inputs are checked."""

import re

import numpy as np
import pytest

from mlkit._html import html_map, html_table
from mlkit.insights._map import embedding_map, project

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.usefixtures("single_blas_thread")


@pytest.fixture(scope="module")
def scored(goemotions_slice):
    """1,500 GoEmotions rows with a made-up score: high on 60 rows, low elsewhere."""
    texts = list(goemotions_slice.X_train)
    Y = goemotions_slice.Y_train
    scores = np.full(len(texts), 0.1)
    scores[np.arange(0, 1500, 25)] = 0.9  # 60 "likely errors"
    return texts, Y, goemotions_slice.label_names, scores


@pytest.fixture(scope="module")
def gmap(scored):
    texts, Y, names, scores = scored
    return embedding_map(texts, Y, label_names=names, scores=scores, method="pca",
                         max_points=400)


def test_clusters_table(gmap, scored):
    texts, Y, names, scores = scored
    clusters = gmap.clusters
    assert list(clusters.columns) == ["cluster", "size", "share", "top_terms", "label_mix",
                                      "error_rate", "mean_score"]
    # the stated rule: round(sqrt(1500 / 20)) = 9 clusters, numbered by size
    assert len(clusters) == 9 and clusters["size"].sum() == len(texts)
    assert clusters["size"].is_monotonic_decreasing
    assert clusters["cluster"].tolist() == list(range(9))
    for c in (0, 4):
        members = np.flatnonzero(gmap.cluster_of_row == c)
        assert clusters["size"][c] == len(members)
        assert clusters["error_rate"][c] == pytest.approx((scores[members] >= 0.5).mean())
        top = int(Y[members].sum(axis=0).argmax())
        share = Y[members, top].mean()
        assert clusters["label_mix"][c].startswith(f"{names[top]} {share:.0%}")
        # every top term occurs in the cluster's texts, more often than elsewhere
        for term in clusters["top_terms"][c].split(", ")[:3]:
            inside = np.mean([term in t.lower() for t in np.asarray(texts)[members]])
            outside = np.mean([term in t.lower() for t in np.delete(np.asarray(texts),
                                                                    members)])
            assert inside > outside


def test_clusters_find_topics(gmap, scored):
    """On real comments, thanking forms its own cluster: 'thanks'/'thank' among its top
    terms and gratitude its most frequent label (measured: 56 % of its rows)."""
    clusters = gmap.clusters
    thanks = clusters[clusters["top_terms"].str.contains(r"\bthank")]
    assert len(thanks) >= 1
    assert any(mix.startswith("gratitude") for mix in thanks["label_mix"])


def test_points_keep_every_likely_error(gmap, scored):
    texts, Y, names, scores = scored
    points = gmap.points
    assert list(points.columns) == ["row", "x", "y", "cluster", "labels", "score", "text"]
    assert len(points) == 400 and points["row"].is_monotonic_increasing
    assert set(np.flatnonzero(scores >= 0.5)) <= set(points["row"])
    row = int(points["row"].iloc[7])
    assert points["text"].iloc[7] == texts[row]  # row = position in the input
    assert points["labels"].iloc[7] == tuple(names[j] for j in np.flatnonzero(Y[row]))
    assert points["cluster"].iloc[7] == gmap.cluster_of_row[row]
    # more likely errors than the cap: the highest scores are kept
    m = embedding_map(texts[:300], Y[:300], scores=np.linspace(0.6, 1, 300), max_points=50,
                      method="svd")
    assert m.points["row"].tolist() == list(range(250, 300))


def test_issue_kinds(scored):
    texts, Y, names, _ = scored
    S = np.zeros(Y.shape)
    S[0, np.flatnonzero(Y[0] == 0)[0]] = 0.9  # a missing label
    S[1, np.flatnonzero(Y[1] == 1)[0]] = 0.9  # a wrong label
    S[2, np.flatnonzero(Y[2] == 0)[0]] = S[2, np.flatnonzero(Y[2] == 1)[0]] = 0.7
    m = embedding_map(texts[:200], Y[:200], issue_scores=S[:200], method="svd")
    assert m.points["kind"].tolist()[:4] == ["missing", "wrong", "missing+wrong", "none"]
    with pytest.raises(ValueError, match=r"issue_scores must have the shape of Y"):
        embedding_map(texts[:200], Y[:200], issue_scores=S[:100])


def test_tsne_preserves_neighbourhoods_better(goemotions_slice):
    """The default projection: t-SNE keeps 2-D neighbours far closer to the 50-d ones than
    the linear projections (benchmarks/bench_map.py measures it on 10k and 43k rows)."""
    from sklearn.manifold import trustworthiness

    from mlkit.insights._map import _normalise, _reduce, _tfidf

    X, _ = _tfidf(list(goemotions_slice.X_train[:500]))
    Z = _reduce(X, 0)
    U = _normalise(Z)
    tw = {m: trustworthiness(U, project(Z, m), n_neighbors=10) for m in ("tsne", "pca", "svd")}
    assert tw["tsne"] > max(tw["pca"], tw["svd"]) + 0.15, tw


def test_embeddings_and_encoder(scored):
    """Precomputed embeddings (or an encoder) replace TF-IDF for clustering and layout;
    top terms still come from the texts."""
    texts, Y, names, _ = scored
    texts, Y = texts[:300], Y[:300]
    group = Y[:, list(names).index("neutral")].astype(int)
    rng = np.random.default_rng(0)
    E = np.eye(2)[group] * 5 + rng.normal(size=(300, 2)) * 0.1
    E = np.hstack([E, rng.normal(size=(300, 6)) * 0.1])
    m = embedding_map(texts, Y, embeddings=E, n_clusters=2, method="pca")
    assert m.source == "embeddings"
    # the two planted groups are the two clusters
    assert abs(np.corrcoef(m.cluster_of_row, group)[0, 1]) > 0.99
    m2 = embedding_map(texts, Y, encoder=lambda t: E, n_clusters=2, method="pca")
    np.testing.assert_array_equal(m2.cluster_of_row, m.cluster_of_row)
    assert all(isinstance(t, str) for t in m.clusters["top_terms"])


def test_bad_inputs(scored):
    texts, Y, names, scores = scored
    cases = [
        (dict(method="umap"), r"method must be one of 'tsne', 'pca', 'svd'; got 'umap'"),
        (dict(max_points=1), r"max_points must be an int >= 2; got 1"),
        (dict(n_clusters=0), r"n_clusters must be 'auto' or an int >= 1"),
        (dict(scores=scores[:10]), r"scores must have one value per text \(1500\)"),
        (dict(embeddings=np.zeros((10, 4))), r"embeddings must have shape \(n_texts, n_dims\)"),
        (dict(embeddings=np.zeros((1500, 4)), encoder=lambda t: t), "not both"),
        (dict(encoder=3), "encoder must have an encode"),
    ]
    for kwargs, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            embedding_map(texts, Y, **kwargs)
    with pytest.raises(ValueError, match="fewer than 2 distinct words"):
        embedding_map(["the and", "of the", "a"], method="svd")
    with pytest.raises(ValueError, match="at least 2 texts"):
        embedding_map(["one text"])


def test_html_map_and_table_inputs():
    xy = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 1.0]])
    modes = [{"name": "score", "type": "scale", "values": [0.0, 0.5, 1.0]},
             {"name": "label", "type": "sets", "names": ["a", "b"], "values": [[0], [], [0, 1]]}]
    page = html_map(xy, ['row 0\n<b>x</b>', "row 1", "row 2"], modes, alt="M")
    assert page.count("<circle") == 3
    # the static colouring is the first one: the scale's three anchors
    assert re.findall(r'fill="(#[0-9a-f]{6})"', page) == ["#2c7bb6", "#fdae61", "#d7191c"]
    assert "<b>" not in page and "\\u003cb\\u003e" in page  # the tip is inert data
    with pytest.raises(ValueError, match="first colouring is of type 'scale' or 'category'"):
        html_map(xy, ["a", "b", "c"], modes[::-1])
    with pytest.raises(ValueError, match="tips has 2 entries for 3 points"):
        html_map(xy, ["a", "b"], modes)
    with pytest.raises(ValueError, match="has 3 values for 2 points"):
        html_map(xy[:2], ["a", "b"], modes)
    table = html_table([("x", 1)], ["name", "n"], filters={"name": "select", "n": "range"})
    assert '<th data-filter="select">name</th><th data-filter="range">n</th>' in table
    with pytest.raises(ValueError, match=r"filters names columns \['nope'\]"):
        html_table([("x", 1)], ["name", "n"], filters={"nope": "select"})
    with pytest.raises(ValueError, match="filters values must be one of"):
        html_table([("x", 1)], ["name", "n"], filters={"n": "slider"})


def test_sentence_encoder_map(goemotions_slice):
    """A real sentence encoder (the bundled MiniLM) gives the map; in its space the rows of
    one label sit together far more than by chance, and the map reads the same whether the
    encoder or its embeddings are given."""
    from _neural_fixtures import minilm_dir

    st = pytest.importorskip("sentence_transformers")
    model = st.SentenceTransformer(minilm_dir(), device="cpu")
    texts = list(goemotions_slice.X_train[:200])
    Y = goemotions_slice.Y_train[:200]
    calls = []

    class Encoder:  # the model, recording what it encoded
        def encode(self, batch):
            calls.append(model.encode(batch))
            return calls[-1]

    m = embedding_map(texts, Y, encoder=Encoder(), method="pca", n_clusters=4)
    assert m.source == "embeddings" and len(m.clusters) == 4
    assert len(calls) == 1 and calls[0].shape == (200, 384)
    E = calls[0]
    again = embedding_map(texts, Y, embeddings=E, method="pca", n_clusters=4)
    np.testing.assert_array_equal(again.cluster_of_row, m.cluster_of_row)
    # rows labelled gratitude: their 10 nearest neighbours carry gratitude far more often
    # than its prevalence
    grat = Y[:, list(goemotions_slice.label_names).index("gratitude")] == 1
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    sim = U[grat] @ U.T
    sim[np.arange(grat.sum()), np.flatnonzero(grat)] = -np.inf  # not itself
    near = np.argsort(-sim, axis=1)[:, :10]
    assert grat[near].mean() > 3 * grat.mean(), (grat[near].mean(), grat.mean())


def test_audit_report_draws_a_precomputed_map(goemotions_slice, tmp_path):
    from mlkit.insights import audit
    from mlkit.insights._report import write_html

    texts = list(goemotions_slice.X_train[:300])
    result = audit(None, texts, goemotions_slice.Y_train[:300],
                   label_names=goemotions_slice.label_names, cv=3)
    rng = np.random.default_rng(0)
    emap = embedding_map(texts, result.Y, label_names=result.label_names,
                         scores=result.data_error_scores, issue_scores=result.issue_scores,
                         embeddings=rng.normal(size=(300, 8)), method="pca")
    page = write_html(result, tmp_path / "a.html", precomputed_map=emap, map_points=100)
    text = page.read_text(encoding="utf-8")
    section = text[text.index('id="map"'):text.index('id="data-error-score"')]
    assert "embedding (reduced to 50 dimensions by PCA)" in section
    assert section.count("<circle") == 100 and "100 of 300 rows drawn" in section
    write_html(result, tmp_path / "b.html", map_points=0)
    assert 'id="map"' not in (tmp_path / "b.html").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="precomputed_map maps 200 rows but the audit has 300"):
        write_html(result, tmp_path / "c.html",
                   precomputed_map=embedding_map(texts[:200], method="svd"))
    with pytest.raises(ValueError, match="map_points must be an int >= 0"):
        write_html(result, tmp_path / "c.html", map_points=-3)
