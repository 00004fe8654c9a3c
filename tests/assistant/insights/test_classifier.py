"""The message classifier: trains, predicts short chat messages, persists without pickle, learns labels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import InvalidInputError, MalformedFileError
from assistant.insights.classifier import Example, MessageClassifier, clean_text
from assistant.insights.records import LabelledMessage, MessageLabel
from assistant.insights.training import SEED_EXAMPLES, label_examples, load_issue_examples, training_examples
from tests.assistant.insights.conftest import T0

BUG, FEATURE, QUESTION, OTHER = MessageLabel


@pytest.fixture(scope="module")
def seeded() -> MessageClassifier:
    return MessageClassifier.train(SEED_EXAMPLES)


def test_seed_examples_cover_all_four_kinds(seeded: MessageClassifier) -> None:
    assert set(seeded.classes) == {BUG, FEATURE, QUESTION, OTHER}
    predicted = seeded.predict(
        [
            "The report page shows an error 500 since the update",
            "It would be great to have an export to PDF",
            "How do I add a new user?",
            "thanks a lot!",
        ]
    )
    assert predicted == [BUG, FEATURE, QUESTION, OTHER]


def test_probabilities_are_a_distribution(seeded: MessageClassifier) -> None:
    probabilities = seeded.predict_proba(["login fails", "hello", "add dark mode please"])
    assert probabilities.shape == (3, 4)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert seeded.probability_of(BUG, ["login fails with an error"])[0] > 0.5
    assert seeded.predict_proba([]).shape == (0, 4)


def test_bytes_round_trip_gives_the_same_probabilities(seeded: MessageClassifier) -> None:
    texts = ["sync is stuck", "can you add SSO", "where are invoices", "ok"]
    loaded = MessageClassifier.from_bytes(seeded.to_bytes())
    assert loaded.classes == seeded.classes
    assert np.allclose(loaded.predict_proba(texts), seeded.predict_proba(texts))
    # an .npz of plain arrays: loading never needs pickle
    with np.load(io.BytesIO(seeded.to_bytes()), allow_pickle=False) as data:
        assert data["word_terms"].dtype.kind == "U"


def test_unreadable_bytes_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        MessageClassifier.from_bytes(b"not a model")


def test_embeddings_are_used_when_given() -> None:
    rng = np.random.default_rng(0)
    examples = [Example("same words", BUG)] * 10 + [Example("same words", QUESTION)] * 10
    embeddings = np.vstack([np.ones((10, 4)), -np.ones((10, 4))]) + 0.01 * rng.standard_normal((20, 4))
    model = MessageClassifier.train(examples, embeddings=embeddings, embedding_weight=2.0)
    assert model.uses_embeddings and model.embedding_dimension == 4
    assert model.predict(["same words"] * 2, np.array([[1.0] * 4, [-1.0] * 4])) == [BUG, QUESTION]
    restored = MessageClassifier.from_bytes(model.to_bytes())
    assert restored.predict(["same words"], np.array([[-1.0] * 4])) == [QUESTION]


def test_engineers_labels_teach_the_classifier(seeded: MessageClassifier) -> None:
    text = "the quarterly rollup looks odd"
    labels = [
        LabelledMessage(f"q{i}", f"the quarterly rollup looks odd {i}", BUG, "eng", T0) for i in range(3)
    ]
    retrained = MessageClassifier.train([*SEED_EXAMPLES, *label_examples(labels, weight=5.0)])
    assert retrained.probability_of(BUG, [text])[0] > seeded.probability_of(BUG, [text])[0]
    assert retrained.predict([text]) == [BUG]


def test_one_kind_of_example_is_not_enough() -> None:
    with pytest.raises(InvalidInputError):
        MessageClassifier.train([Example("a", BUG), Example("b", BUG)])


def test_clean_text_drops_code_and_urls() -> None:
    cleaned = clean_text("Crash\n```\nTraceback here\n```\nsee https://example.com/x <!-- template -->")
    assert "Traceback" not in cleaned and "example.com" not in cleaned and "template" not in cleaned


def test_issue_csv_loading(tmp_path: Path) -> None:
    (tmp_path / "nlbse24_issues_train.csv").write_text(
        'repo,created_at,label,title,body\nr/x,2023-01-01,bug,"Crash on start","It ""crashes"""\n'
        "r/x,2023-01-02,feature,Add dark mode,\n",
        encoding="utf-8",
    )
    examples = load_issue_examples(tmp_path)
    assert [e.label for e in examples] == [BUG, FEATURE]
    assert examples[0].text.startswith("Crash on start\nCrash on start\n")
    combined = training_examples([], issues_dir=tmp_path, label_weight=5.0)
    assert len(combined) == 2 + len(SEED_EXAMPLES)
    assert len(training_examples([], issues_dir=tmp_path / "missing", label_weight=5.0)) == len(SEED_EXAMPLES)


def test_issue_csv_with_an_unknown_label_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "nlbse24_issues_train.csv").write_text(
        "repo,created_at,label,title,body\nr/x,2023,bug,a,b\nr/x,2023,chore,c,d\n", encoding="utf-8"
    )
    with pytest.raises(MalformedFileError) as raised:
        load_issue_examples(tmp_path)
    assert raised.value.line == 3
