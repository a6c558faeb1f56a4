"""Text-model features: values, PCA stored in the profile, and serving/training parity."""

import numpy as np
import pytest

from lightship.errors import DataError
from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift import ks
from lightship.monitoring.text_features import (TextFeatureExtractor, build_text_reference_profile,
                                                fit_text_feature_extractor, unknown_token_rate)


def _outputs(rows, seed, topic_shift=0.0):
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(rows, 16))
    embeddings[:, 0] = embeddings[:, 0] * 3 + topic_shift
    logits = rng.normal(size=(rows, 3))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return dict(probs=probs, embeddings=embeddings, text_lengths=rng.integers(10, 200, rows),
                unk_rates=rng.beta(1, 50, rows), id2label={0: "billing", 1: "shipping", 2: "fraud"})


def test_features_have_the_documented_columns_and_values():
    outputs = _outputs(100, 0)
    extractor = fit_text_feature_extractor(outputs["embeddings"], n_components=2)
    frame = extractor.features(**outputs)
    assert list(frame.columns) == ["confidence", "predicted_class", "text_length", "unk_rate",
                                   "embedding_pc1", "embedding_pc2"]
    assert np.allclose(frame["confidence"], outputs["probs"].max(axis=1))
    assert set(frame["predicted_class"]) <= {"billing", "shipping", "fraud"}


def test_first_component_follows_the_largest_variance_direction():
    extractor = fit_text_feature_extractor(_outputs(500, 1)["embeddings"], n_components=3)
    assert abs(extractor.components[0, 0]) > 0.95 and extractor.components[0, 0] > 0
    assert np.allclose(extractor.components @ extractor.components.T, np.eye(3))


def test_profile_carries_the_pca_so_serving_projects_like_training(tmp_path):
    reference = _outputs(2000, 2)
    profile = build_text_reference_profile(**reference, n_components=3)
    assert profile.kinds["predicted_class"] == "categorical" and profile.kinds["embedding_pc3"] == "numeric"
    loaded = ReferenceProfile.load(profile.save(tmp_path))
    served = TextFeatureExtractor.from_profile(loaded)
    trained = TextFeatureExtractor.from_profile(profile)
    current = _outputs(300, 3)
    assert served.features(**current).equals(trained.features(**current))


def test_a_topic_shift_in_embeddings_is_flagged_on_the_pc_feature():
    profile = build_text_reference_profile(**_outputs(3000, 4))
    extractor = TextFeatureExtractor.from_profile(profile)
    detector = ks.detector(name="ks").fit(profile)
    assert not detector.compare(extractor.features(**_outputs(500, 5))).drifted
    shifted = detector.compare(extractor.features(**_outputs(500, 6, topic_shift=2.0)))
    assert shifted.drifted_features == ["embedding_pc1"]


def test_unknown_token_rate_ignores_padding():
    ids = np.array([[5, 100, 100, 0], [100, 7, 0, 0]])
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])
    assert np.allclose(unknown_token_rate(ids, mask, unk_token_id=100), [2 / 3, 1 / 2])


def test_logits_and_mismatched_inputs_are_refused():
    extractor = fit_text_feature_extractor(np.random.default_rng(0).normal(size=(10, 4)))
    with pytest.raises(DataError, match="softmax"):
        extractor.features(np.array([[2.0, -1.0]]))
    with pytest.raises(DataError, match="rows"):
        extractor.features(np.array([[0.5, 0.5]]), text_lengths=[1, 2])
    with pytest.raises(DataError, match="expects"):
        extractor.features(np.array([[0.5, 0.5]]), embeddings=np.zeros((1, 5)))
