"""Topics: online clustering of embeddings, named by the most typical question."""

from __future__ import annotations

import numpy as np

from assistant.insights.topics import OnlineClusterer, build_topics
from tests.assistant.insights.conftest import T0, RecordMaker, hours


def test_questions_about_three_things_make_three_topics(make: RecordMaker) -> None:
    texts = {
        0: ["How do I reset my password?", "password reset link not arriving", "reset password please"],
        1: ["Can I export invoices to CSV?", "export invoices as csv file", "csv export of invoices"],
        2: ["What are your support hours?", "support hours on weekends?", "when is support open"],
    }
    records = [
        make(text, topic=topic, at=T0 + hours(3 * i + topic))
        for topic, group in texts.items()
        for i, text in enumerate(group)
    ]
    model = build_topics(records, threshold=0.6)

    assert len(model.topics) == 3
    assert [t.size for t in model.topics] == [3, 3, 3]
    by_first_text = {model.records[t.members[0]].text: t for t in model.topics}
    password = by_first_text["How do I reset my password?"]
    assert password.name in texts[0]
    assert "password" in password.keywords and "reset" in password.keywords
    assert password.first_seen == T0 and password.last_seen == T0 + hours(6)
    # ids follow arrival order, so they are stable for the same records
    assert [t.id for t in model.topics] == ["t0001", "t0002", "t0003"]
    assert [t.id for t in build_topics(list(reversed(records)), threshold=0.6).topics] == [
        "t0001",
        "t0002",
        "t0003",
    ]


def test_threshold_decides_whether_a_question_joins(make: RecordMaker) -> None:
    near = make("a", topic=0, noise=0.0)
    other = make("b", topic=1, noise=0.0)
    assert len(build_topics([near, other], threshold=0.99).topics) == 2
    assert len(build_topics([near, other], threshold=-1.0).topics) == 1


def test_centroid_is_the_unit_running_mean() -> None:
    clusterer = OnlineClusterer(2, threshold=0.5)
    assert clusterer.add(np.array([1.0, 0.0])) == 0
    assert clusterer.add(np.array([0.8, 0.6])) == 0
    assert clusterer.add(np.array([-1.0, 0.0])) == 1
    expected = np.array([1.8, 0.6]) / np.linalg.norm([1.8, 0.6])
    assert np.allclose(clusterer.centroids[0], expected)
    assert clusterer.counts == [2, 1]


def test_records_without_embeddings_group_by_wording(make: RecordMaker) -> None:
    records = [
        make("export to csv fails", embedding=None),
        make("export to csv fails again", embedding=None),
        make("what are the opening hours", embedding=None),
    ]
    model = build_topics(records, threshold=0.5)
    assert sorted(t.size for t in model.topics) == [1, 2]
