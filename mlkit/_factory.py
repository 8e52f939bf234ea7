"""Recommended, unfitted models: ``make_classifier``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .features import TfidfFeaturizer
from .pipeline import TextPipeline
from .thresholds import ThresholdTuner
from .transforms import BinaryRelevance

if TYPE_CHECKING:
    import numpy as np

__all__ = ["make_classifier"]

_KINDS = ("tfidf", "embeddings", "transformer", "hybrid")
# the hub name of the default encoder of the neural kinds; pass model= a local
# directory where the hub is not reachable (mlkit never downloads silently)
DEFAULT_NEURAL_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: ``make_classifier("tfidf")``: labels with fewer positive rows than this get their
#: name as one more training text (:class:`~mlkit.TextPipeline`)
NAME_EXAMPLES_BELOW = 20


def make_classifier(
    kind: str = "tfidf",
    *,
    model: str | os.PathLike[str] | None = None,
    n_jobs: int | None = None,
    random_state: int | np.random.RandomState | None = 0,
    verbose: bool | str | None = None,
) -> Pipeline | ThresholdTuner:
    """The recommended multi-label text classifier of a given kind, unfitted.

    Parameters
    ----------
    kind : {"tfidf", "embeddings", "transformer", "hybrid"}, default="tfidf"
        ``"tfidf"``: :class:`TfidfFeaturizer` (word unigrams and bigrams,
        sublinear tf; character 2-5-grams too when the texts are short, see
        ``char_ngram_range="auto"``, without those in more than 5 % of the
        texts, ``char_max_df=0.05``) -> :class:`BinaryRelevance` of
        ``LinearSVC(tol=0.1)`` -> :class:`ThresholdTuner`: per-label
        thresholds chosen on multi-label stratified out-of-fold scores,
        regularized toward one global threshold for rare labels, and the
        "at least one label per row" rule when it helps out of fold. When
        every label has at least 50 positive rows (GoEmotions), 3 folds and
        the final model is the average of the fold models (``cv="auto"``,
        ``refit="auto"``: 4 fits instead of 7, same or better F1 on dev);
        otherwise (Reuters, whose rarest labels have one article) 5 folds and
        a refit on all rows. ``C`` is
        0.5 or 0.2, whichever gives the better tuned macro-F1 on the first
        split (``candidate_params``; one extra fit): short, noisily labelled
        comments (GoEmotions) want the stronger regularization, news articles
        (Reuters) the weaker. Takes raw texts. ``tol=0.1`` is LIBLINEAR's own
        default stopping tolerance (scikit-learn's is 1e-4): measured on
        Reuters and GoEmotions, it gives the same F1 to three decimals at about
        1.5x less fit time. When the labels carry names (a DataFrame's
        columns or label lists), each label with fewer than 20 positive rows
        whose texts use a word of its name gets its name as one more training
        text (:class:`TextPipeline`, ``name_examples_below=20``;
        ``"castor-oil"`` -> ``"castor oil"``): on folds of Reuters' training
        split macro-F1 0.558 -> 0.591 at the same micro-F1; GoEmotions (every
        label has 77 comments or more) is unchanged. An indicator matrix has
        no names, and nothing is added.

        ``"embeddings"`` (extra ``embeddings``):
        :class:`~mlkit.features.SentenceEmbeddingFeaturizer` with
        ``layers="all"`` (the frozen encoder's token states of every layer,
        each averaged over the text and scaled to unit norm, concatenated:
        7 x 384 = 2,688 features for MiniLM-L6; cached) ->
        :class:`BinaryRelevance` of ``RidgeClassifier(alpha=0.3)`` -> the
        same :class:`ThresholdTuner` (5-fold out-of-fold thresholds; the
        folds reuse the cached embeddings, so each text is encoded once).
        On GoEmotions the lower layers' features lift macro-F1 far above the
        final sentence embedding alone, and a ridge classifier fits them
        10-25x faster than logistic regression at the same F1 (measured in
        ``benchmarks/RESULTS_neural.md``). For a large encoder, where every
        layer makes too many features, use e.g.
        ``set_params(features__layers=4)`` (the last four layers).

        ``"transformer"`` (extra ``transformer``): a
        :class:`~mlkit.transformer.TransformerClassifier` (the encoder
        fine-tuned with a multi-label head) inside a :class:`ThresholdTuner`
        with ``cv=0.2, refit=False``: the encoder is fine-tuned once, on a
        80 % stratified split, and the thresholds are tuned on the other 20 %
        with that same model (cross-validating a transformer is usually too
        expensive, and refitting on all rows would cost a second
        fine-tuning; ``set_params(refit=True)`` does that). The result takes
        raw texts directly (it is not a Pipeline).

        ``"hybrid"`` (extra ``embeddings``): both of the above at once, the
        ``"tfidf"`` pipeline (every character n-gram and ``C=0.5``, as when the
        blend was chosen: with the ``"tfidf"`` kind's pruning and ``C=0.2`` the
        blend scored no better on GoEmotions dev, 0.5205 against 0.5214) and
        the ``"embeddings"`` pipeline (without their tuners) blended by
        :class:`~mlkit.ensemble.ScoreBlend` (each member's decision values
        divided by their per-label spread on the training rows, then averaged
        with equal weights), inside one
        :class:`ThresholdTuner` (5-fold out-of-fold per-label thresholds).
        Chosen on GoEmotions dev among late fusion with other weights,
        stacking and joined features (``benchmarks/bench_hybrid.py``); on the
        GoEmotions test split it reaches 0.503 macro-F1 against 0.486 / 0.484
        for the two kinds alone. It costs the fit time of both kinds, and
        the encoding of every training text once (cached: the tuner's folds
        reuse it). Returns the :class:`ThresholdTuner`, which takes raw
        texts; see :func:`mlkit.ensemble.make_hybrid`.
    model : str or path-like, default=None
        The encoder of the neural kinds: a Hugging Face hub name (read from
        the local Hugging Face cache; nothing is downloaded) or a local model
        directory. None means ``"sentence-transformers/all-MiniLM-L6-v2"``.
        Not used by ``"tfidf"``.
    n_jobs : int, default=None
        Parallelism over labels, through joblib: threads, except for the
        ``"tfidf"`` kind's ``LinearSVC``, whose LIBLINEAR dual solver shares
        one random generator per process and so runs in worker processes
        (see :class:`BinaryRelevance`): None fits its labels in one process
        per CPU when the training set is large enough to pay for them
        (GoEmotions' 43,410 comments: yes; Reuters' 7,769 articles: only the
        refit), one at a time otherwise; not used by ``"transformer"``.
    random_state : int, RandomState instance or None, default=0
        Seeds the cross-validation folds used to tune thresholds, LIBLINEAR's
        shuffling and (``"transformer"``) the fine-tuning, so that fits are
        reproducible.
    verbose : bool, "auto" or None, default=None
        Progress bars on standard error for the long steps: the threshold
        tuner's fits and (neural kinds) encoding and training. None keeps each
        estimator's default (every estimator is quiet by default). The command line and ``make demo`` pass
        True.

    Returns
    -------
    model : sklearn.pipeline.Pipeline or ThresholdTuner
        ``"tfidf"`` and ``"embeddings"``: a Pipeline with steps
        ``"features"`` and ``"classifier"`` (the :class:`ThresholdTuner`);
        every parameter can be changed with ``set_params``, e.g.
        ``classifier__shrinkage=20``, or ``name_examples_below=0`` (``"tfidf"``
        is a :class:`TextPipeline`). ``"transformer"``: the
        :class:`ThresholdTuner` itself, e.g.
        ``set_params(estimator__epochs=2)``.

    Examples
    --------
    >>> from mlkit import make_classifier
    >>> model = make_classifier("tfidf")
    >>> [name for name, _ in model.steps]
    ['features', 'classifier']
    >>> make_classifier("transformer", model="path/to/model").estimator.epochs
    3
    """
    if kind not in _KINDS:
        raise ValueError(f"Unknown kind {kind!r}; make_classifier supports {_KINDS}.")
    if verbose is not None and not isinstance(verbose, (bool, str)):
        raise ValueError(f"verbose must be True, False, 'auto' or None; got {verbose!r}.")
    tuner_verbose = False if verbose is None else verbose
    neural_verbose = {} if verbose is None else {"verbose": verbose}
    if kind == "tfidf":
        if model is not None:
            raise ValueError(
                f"make_classifier('tfidf') takes no model= (got {model!r}); model= names the "
                "encoder of the 'embeddings', 'transformer' and 'hybrid' kinds."
            )
        return TextPipeline([
            ("features", TfidfFeaturizer(char_max_df=0.05)),
            ("classifier", ThresholdTuner(
                BinaryRelevance(LinearSVC(C=0.5, tol=0.1, random_state=random_state),
                                n_jobs=n_jobs),
                strategy="per_label",
                metric="f1_macro",
                cv="auto",
                refit="auto",
                candidate_params=[{"estimator__C": 0.5}, {"estimator__C": 0.2}],
                n_jobs=None,
                random_state=random_state,
                verbose=tuner_verbose,
            )),
        ], name_examples_below=NAME_EXAMPLES_BELOW)
    model = DEFAULT_NEURAL_MODEL if model is None else model
    if kind == "hybrid":
        from .ensemble import make_hybrid

        return make_hybrid(model, n_jobs=n_jobs, random_state=random_state, verbose=verbose)
    if kind == "embeddings":
        from .features import SentenceEmbeddingFeaturizer

        return Pipeline([
            ("features", SentenceEmbeddingFeaturizer(model, layers="all", **neural_verbose)),
            ("classifier", ThresholdTuner(
                BinaryRelevance(RidgeClassifier(alpha=0.3), n_jobs=n_jobs),
                strategy="per_label",
                metric="f1_macro",
                cv=5,
                n_jobs=None,
                random_state=random_state,
                verbose=tuner_verbose,
            )),
        ])
    from .transformer import TransformerClassifier

    return ThresholdTuner(
        TransformerClassifier(model, random_state=random_state, **neural_verbose),
        strategy="per_label",
        metric="f1_macro",
        cv=0.2,
        refit=False,
        random_state=random_state,
        verbose=tuner_verbose,
    )
