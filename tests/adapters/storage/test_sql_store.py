"""The SQL store against real SQLite and PostgreSQL databases (see conftest.py)."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url, select, text

from adapters.storage.sql import SqlKnowledgeStore, create_store
from adapters.storage.sql.migrate import alembic_config, connect, upgrade
from adapters.storage.sql.schema import learning_events, metadata
from assistant.errors import InvalidInputError, NotFoundError, ServiceUnavailableError
from assistant.models import (
    Answer,
    Decision,
    Document,
    FeedbackRecord,
    ItemKind,
    ItemStatus,
    KnowledgeItem,
    LearningEvent,
    Question,
    Role,
    Signal,
    SourceRef,
)
from assistant.ports import KnowledgeStore, LabelledOutcome, LearningChange

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def vec(seed: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def item(item_id: str, **fields: object) -> KnowledgeItem:
    defaults: dict[str, object] = {
        "kind": ItemKind.PASSAGE,
        "text": f"text of {item_id}",
        "resolution_key": f"key-{item_id}",
        "source": "docs/guide.md",
        "created_at": T0,
    }
    return KnowledgeItem(id=item_id, **{**defaults, **fields})  # type: ignore[arg-type]


def event(event_id: str, signal: Signal = Signal.REJECT, **fields: object) -> LearningEvent:
    defaults: dict[str, object] = {"actor": "agent-1", "role": Role.AGENT, "effect": "test", "created_at": T0}
    return LearningEvent(id=event_id, signal=signal, **{**defaults, **fields})  # type: ignore[arg-type]


async def exchange(
    store: SqlKnowledgeStore,
    n: int,
    *,
    decision: Decision = Decision.ANSWER,
    at: datetime = T0,
    features: list[float] | None = None,
) -> Answer:
    question = Question(
        text=f"question {n}?",
        account="acme",
        channel="C1",
        user="U1",
        thread=f"t{n}",
        external_id=f"ext-{n}",
        asked_at=at,
    )
    answer = Answer(
        id=f"ans-{n}",
        question_id=f"q-{n}",
        text=f"answer {n}",
        decision=decision,
        confidence=0.75,
        resolution_key="key-a",
        item_ids=["a"],
        sources=[SourceRef(item_id="a", title="Guide", url="https://example.com/a", kind=ItemKind.PASSAGE)],
        account="acme",
        created_at=at,
        features=features if features is not None else [0.5, float(n)],
    )
    await store.save_exchange(f"q-{n}", question, answer)
    return answer


async def test_store_satisfies_the_protocol(store: SqlKnowledgeStore) -> None:
    checked: KnowledgeStore = store  # mypy checks the protocol; this checks every method exists
    names = [name for name in dir(KnowledgeStore) if not name.startswith("_")]
    assert [name for name in names if not hasattr(checked, name)] == []
    in_memory = create_store("sqlite+aiosqlite://")  # migrated on the one connection it lives on
    await in_memory.initialize()
    try:
        await in_memory.add_items([(item("a"), vec(1))])
        assert list(await in_memory.get_items(["a"])) == ["a"]
    finally:
        await in_memory.close()


async def test_items_round_trip_with_vectors(store: SqlKnowledgeStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    passage = item("a", title="Guide", url="https://example.com/a", created_at=T0.astimezone(plus_two))
    resolution = item(
        "b",
        kind=ItemKind.RESOLUTION,
        question="How do I reset?",
        account="acme",
        taught_by="agent-1",
        thread="t1",
        feedback=FeedbackRecord(approvals=1.5, rejections=0.5, corrections=2, helped=3, not_helped=1),
        created_at=T0 + timedelta(minutes=1),
    )
    forgotten = item("c", status=ItemStatus.FORGOTTEN, created_at=T0 + timedelta(minutes=2))
    vectors = {"a": vec(1), "b": vec(2), "c": vec(3)}
    await store.add_items([(passage, vectors["a"]), (resolution, vectors["b"]), (forgotten, vectors["c"])])

    got = await store.get_items(["a", "b", "c", "missing"])
    assert got == {"a": passage, "b": resolution, "c": forgotten}
    assert got["a"].created_at.tzinfo is UTC and got["a"].created_at == T0
    assert got["b"].feedback.corrections == 2 and got["b"].feedback.approvals == 1.5

    entries = await store.load_active_entries()
    assert [entry.id for entry, _ in entries] == ["a", "b"]
    for entry, vector in entries:
        assert vector.dtype == np.float32 and vector.flags.writeable
        np.testing.assert_array_equal(vector, vectors[entry.id])

    assert [i.id for i in await store.list_items(status=ItemStatus.ACTIVE)] == ["b", "a"]
    assert [i.id for i in await store.list_items(kind=ItemKind.PASSAGE, limit=1)] == ["c"]
    counts = await store.count_items()
    assert counts["passage:active"] == 1 and counts["resolution:active"] == 1
    assert counts["passage:forgotten"] == 1 and counts["resolution:retired"] == 0
    assert sum(counts.values()) == 3


async def test_non_finite_vector_is_refused(store: SqlKnowledgeStore) -> None:
    with pytest.raises(InvalidInputError):
        await store.add_items([(item("a"), np.array([1.0, math.nan], dtype=np.float32))])
    assert await store.get_items(["a"]) == {}


async def test_replace_document_supersedes_the_old_chunks(store: SqlKnowledgeStore) -> None:
    v1 = Document(id="doc-1", source="docs/guide.md", title="Guide", content_hash="h1", updated_at=T0)
    await store.replace_document(
        v1, [(item("a1", document_id="doc-1"), vec(1)), (item("a2", document_id="doc-1"), vec(2))], []
    )
    await store.add_items([(item("a3", document_id="doc-1", status=ItemStatus.FORGOTTEN), vec(3))])
    assert await store.get_document_by_source("docs/guide.md") == v1

    v2 = Document(
        id="doc-1",
        source="docs/guide.md",
        title="Guide 2",
        content_hash="h2",
        version=2,
        url="u",
        updated_at=T0 + timedelta(days=1),
    )
    new_chunks = [(item("b1", document_id="doc-1", version=2), vec(4))]
    await store.replace_document(v2, new_chunks, ["a1", "a2", "a3"])

    assert await store.list_documents() == [v2]
    assert await store.get_document_by_source("docs/guide.md") == v2
    assert [i.id for i in await store.active_items_for_document("doc-1")] == ["b1"]
    statuses = {i.id: i.status for i in (await store.get_items(["a1", "a2", "a3", "b1"])).values()}
    assert statuses == {
        "a1": ItemStatus.SUPERSEDED,
        "a2": ItemStatus.SUPERSEDED,
        "a3": ItemStatus.FORGOTTEN,  # forgotten on request stays forgotten
        "b1": ItemStatus.ACTIVE,
    }
    assert [entry.id for entry, _ in await store.load_active_entries()] == ["b1"]


async def test_retire_document(store: SqlKnowledgeStore) -> None:
    doc = Document(id="doc-1", source="docs/a.md", title="A", content_hash="h", updated_at=T0)
    items = [(item("a1", document_id="doc-1"), vec(1)), (item("a2", document_id="doc-1"), vec(2))]
    await store.replace_document(
        doc, [*items, (item("a3", document_id="doc-1", status=ItemStatus.SUPERSEDED), vec(3))], []
    )
    await store.add_items([(item("other"), vec(4))])

    assert await store.retire_document("doc-1") == ["a1", "a2"]

    stored = await store.get_document_by_source("docs/a.md")
    assert stored is not None and stored.retired
    statuses = {i.id: i.status for i in (await store.get_items(["a1", "a2", "a3", "other"])).values()}
    assert statuses == {
        "a1": ItemStatus.RETIRED,
        "a2": ItemStatus.RETIRED,
        "a3": ItemStatus.SUPERSEDED,
        "other": ItemStatus.ACTIVE,
    }
    assert await store.retire_document("doc-1") == []
    with pytest.raises(NotFoundError):
        await store.retire_document("doc-missing")


async def test_apply_learning_writes_everything(store: SqlKnowledgeStore) -> None:
    await store.add_items([(item("old", kind=ItemKind.RESOLUTION), vec(1)), (item("a"), vec(2))])
    await exchange(store, 1)
    feedback = FeedbackRecord(approvals=0.0, rejections=1.0, corrections=1, helped=0, not_helped=2)
    change = LearningChange(
        event=event("evt-1", Signal.CORRECT, answer_id="ans-1", item_id="new", affected_item_id="old"),
        new_items=[(item("new", kind=ItemKind.RESOLUTION, supersedes="old"), vec(3))],
        status_changes=[("old", ItemStatus.SUPERSEDED)],
        feedback_deltas=[("a", feedback)],
        answer_outcome=("ans-1", False, 1.0),
    )
    await store.apply_learning(change)

    assert await store.get_event("evt-1") == change.event
    items = await store.get_items(["old", "a", "new"])
    assert items["old"].status is ItemStatus.SUPERSEDED
    assert items["a"].feedback == feedback
    assert items["new"].supersedes == "old"
    answer = await store.get_answer("ans-1")
    assert answer is not None and answer.outcome is False
    assert {entry.id for entry, _ in await store.load_active_entries()} == {"a", "new"}


async def test_apply_learning_is_all_or_nothing(store: SqlKnowledgeStore) -> None:
    await store.add_items([(item("old"), vec(1)), (item("dup"), vec(2))])
    await exchange(store, 1)
    change = LearningChange(
        event=event("evt-1", answer_id="ans-1"),
        new_items=[(item("fresh"), vec(3)), (item("dup"), vec(4))],  # "dup" exists: the insert fails
        status_changes=[("old", ItemStatus.RETIRED)],
        feedback_deltas=[("old", FeedbackRecord(rejections=5.0))],
        answer_outcome=("ans-1", False, 1.0),
    )
    with pytest.raises(InvalidInputError):
        await store.apply_learning(change)

    assert await store.get_event("evt-1") is None
    assert await store.list_events(include_undone=True) == []
    items = await store.get_items(["old", "dup", "fresh"])
    assert set(items) == {"old", "dup"}
    assert items["old"].status is ItemStatus.ACTIVE and items["old"].feedback == FeedbackRecord()
    answer = await store.get_answer("ans-1")
    assert answer is not None and answer.outcome is None

    # A missing answer fails the change's last statement: the event written first is rolled back.
    unknown_answer = LearningChange(
        event=event("evt-2"),
        feedback_deltas=[("old", FeedbackRecord(approvals=1.0))],
        answer_outcome=("ans-missing", True, 1.0),
    )
    with pytest.raises(NotFoundError):
        await store.apply_learning(unknown_answer)
    assert await store.get_event("evt-2") is None
    assert (await store.get_items(["old"]))["old"].feedback == FeedbackRecord()


async def test_undo_event(store: SqlKnowledgeStore) -> None:
    await store.add_items([(item("a"), vec(1))])
    await exchange(store, 1)
    rejected = FeedbackRecord(rejections=1.0)
    await store.apply_learning(
        LearningChange(
            event=event("evt-1", answer_id="ans-1", affected_item_id="a"),
            status_changes=[("a", ItemStatus.RETIRED)],
            feedback_deltas=[("a", rejected)],
            answer_outcome=("ans-1", False, 1.0),
        )
    )
    await store.apply_learning(
        LearningChange(event=event("evt-2", Signal.TEACH, created_at=T0 + timedelta(1)))
    )
    assert [e.id for e in await store.list_events()] == ["evt-2", "evt-1"]

    await store.undo_event("evt-1", [("a", ItemStatus.ACTIVE)], [("a", FeedbackRecord(rejections=-1.0))])

    undone = await store.get_event("evt-1")
    assert undone is not None and undone.undone_at is not None and undone.undone_at.tzinfo is UTC
    assert [e.id for e in await store.list_events()] == ["evt-2"]
    assert [e.id for e in await store.list_events(include_undone=True, limit=1)] == ["evt-2"]
    assert {e.id for e in await store.list_events(include_undone=True)} == {"evt-1", "evt-2"}
    restored = (await store.get_items(["a"]))["a"]
    assert restored.status is ItemStatus.ACTIVE and restored.feedback == FeedbackRecord()
    answer = await store.get_answer("ans-1")
    assert answer is not None and answer.outcome is None  # the label the event set is gone too
    assert await store.unlabelled_answers_before(T0 + timedelta(seconds=1), 10) == ["ans-1"]

    with pytest.raises(InvalidInputError):
        await store.undo_event("evt-1", [("a", ItemStatus.RETIRED)], [])
    assert (await store.get_items(["a"]))["a"].status is ItemStatus.ACTIVE
    with pytest.raises(NotFoundError):
        await store.undo_event("evt-missing", [], [])


async def test_undo_gives_the_answer_the_label_other_live_events_gave(store: SqlKnowledgeStore) -> None:
    await exchange(store, 1)

    async def label(event_id: str, minutes: int, correct: bool, weight: float) -> None:
        labelling = event(event_id, answer_id="ans-1", created_at=T0 + timedelta(minutes=minutes))
        await store.apply_learning(LearningChange(event=labelling, answer_outcome=("ans-1", correct, weight)))

    await label("evt-1", 1, True, 0.5)
    await label("evt-2", 2, False, 1.0)
    await label("evt-3", 3, True, 0.25)

    await store.undo_event("evt-2", [], [])  # a later label (evt-3) stands
    assert [(o.correct, o.weight) for o in await store.labelled_outcomes(10)] == [(True, 0.25)]
    await store.undo_event("evt-3", [], [])  # back to the newest live label (evt-1)
    assert [(o.correct, o.weight) for o in await store.labelled_outcomes(10)] == [(True, 0.5)]
    await store.undo_event("evt-1", [], [])  # no label left
    assert await store.labelled_outcomes(10) == []


async def test_silence_is_marked_until_a_person_labels_the_answer(store: SqlKnowledgeStore) -> None:
    """The calibrator reads silence apart from verdicts: a silent label is marked as such, a
    person's later verdict replaces it, and a hand-off's label says it was not answered."""
    await exchange(store, 1, at=T0)
    await exchange(store, 2, at=T0 + timedelta(minutes=1))
    await exchange(store, 3, decision=Decision.HANDOFF, at=T0 + timedelta(minutes=2))
    assert await store.set_outcomes_if_unknown(["ans-1", "ans-2"], True, 1.0, silent=True) == 2
    await store.set_outcomes_if_unknown(["ans-3"], False, 1.0)
    outcomes = await store.labelled_outcomes(10)
    assert [(o.silent, o.answered) for o in outcomes] == [(True, True), (True, True), (False, False)]

    correction = event("evt-1", answer_id="ans-2", created_at=T0 + timedelta(minutes=5))
    await store.apply_learning(LearningChange(event=correction, answer_outcome=("ans-2", False, 1.0)))
    outcomes = await store.labelled_outcomes(10)
    assert [(o.correct, o.silent) for o in outcomes] == [(True, True), (False, False), (False, False)]


async def test_a_spot_check_waits_until_a_person_gives_the_verdict(store: SqlKnowledgeStore) -> None:
    """Only a silent answer can be put to a person; it waits (newest first) until someone judges
    it, and that verdict is then read as a spot check's, not as an unprompted one."""
    for n in range(3):
        await exchange(store, n, at=T0 + timedelta(minutes=n))
    await store.set_outcomes_if_unknown(["ans-0", "ans-1"], True, 1.0, silent=True)
    # The draw hashes the question's message id: the same whenever a stream is replayed.
    assert await store.message_ids(["ans-0", "ans-2", "nope"]) == {"ans-0": "ext-0", "ans-2": "ext-2"}
    await store.mark_spot_checks(["ans-0", "ans-1", "ans-2"])  # ans-2 has no outcome: not silent
    assert await store.pending_spot_checks(10) == ["ans-1", "ans-0"]
    assert await store.pending_spot_checks(1) == ["ans-1"]

    verdict = event("evt-1", answer_id="ans-1", created_at=T0 + timedelta(days=2))
    await store.apply_learning(LearningChange(event=verdict, answer_outcome=("ans-1", False, 1.0)))
    assert await store.pending_spot_checks(10) == ["ans-0"]
    outcomes = await store.labelled_outcomes(10)
    read = [(o.correct, o.silent, o.spot_checked) for o in outcomes]
    assert read == [(True, True, False), (False, False, True)]


async def test_labelled_outcomes_and_set_outcomes_if_unknown(store: SqlKnowledgeStore) -> None:
    for n in range(5):
        await exchange(store, n, at=T0 + timedelta(minutes=n), features=[float(n), math.nan])
    await exchange(store, 9, decision=Decision.HANDOFF, at=T0)

    await store.set_outcomes_if_unknown(["ans-0"], True, 0.25)
    await store.set_outcomes_if_unknown(["ans-3"], False, 1.0)
    await store.set_outcomes_if_unknown(["ans-1"], True, 1.0)
    await store.set_outcomes_if_unknown(["ans-3"], True, 0.5)  # already known: unchanged

    outcomes = await store.labelled_outcomes(2)
    assert [(o.features[0], o.correct, o.weight) for o in outcomes] == [(1.0, True, 1.0), (3.0, False, 1.0)]
    assert math.isnan(outcomes[0].features[1])
    assert [o.features[0] for o in await store.labelled_outcomes(100)] == [0.0, 1.0, 3.0]
    assert (await store.labelled_outcomes(100))[0].weight == 0.25

    assert [o.silent for o in await store.labelled_outcomes(100)] == [False, False, False]
    assert all(o.answered for o in await store.labelled_outcomes(100))
    # The resolution each answer gave: a resolution's own novelty floor is read from them.
    assert {o.resolution_key for o in await store.labelled_outcomes(100)} == {"key-a"}

    assert await store.unlabelled_answers_before(T0 + timedelta(minutes=4), 10) == ["ans-2"]
    assert await store.unlabelled_answers_before(T0 + timedelta(hours=1), 1) == ["ans-2"]
    assert await store.unlabelled_answers_before(T0 + timedelta(hours=1), 10) == ["ans-2", "ans-4"]


async def test_rehearsed_outcomes_are_replaced_by_kind(store: SqlKnowledgeStore) -> None:
    def outcome(first: float, correct: bool) -> LabelledOutcome:
        return LabelledOutcome(features=[first, math.nan], correct=correct, weight=0.5)

    await store.replace_rehearsal_outcomes("answered", [outcome(1.0, True), outcome(2.0, False)])
    await store.replace_rehearsal_outcomes("handed_off", [outcome(3.0, False)])
    await store.replace_rehearsal_outcomes("answered", [outcome(4.0, True)])  # the knowledge changed

    everything = await store.rehearsed_outcomes()
    assert [(o.features[0], o.correct, o.weight) for o in everything] == [(3.0, False, 0.5), (4.0, True, 0.5)]
    assert math.isnan(everything[0].features[1])
    assert [o.features[0] for o in await store.rehearsed_outcomes("handed_off")] == [3.0]
    await store.replace_rehearsal_outcomes("handed_off", [])
    assert [o.features[0] for o in await store.rehearsed_outcomes()] == [4.0]


async def test_exchange_round_trip(store: SqlKnowledgeStore) -> None:
    answer = await exchange(store, 1, features=[0.1, math.inf])
    got = await store.get_answer("ans-1")
    assert got is not None
    assert math.isnan(got.features[1])
    got.features = answer.features
    assert got == answer
    question = await store.get_question("q-1")
    assert question is not None
    assert (question.text, question.account, question.user) == ("question 1?", "acme", "U1")
    assert (question.channel, question.thread, question.external_id) == ("C1", "t1", "ext-1")
    assert question.asked_at == T0 and question.asked_at.tzinfo is UTC
    assert await store.find_question_by_external_id("ext-1") == question
    assert await store.get_answer("missing") is None and await store.get_question("missing") is None
    with pytest.raises(InvalidInputError):
        await store.save_exchange("q-other", Question(text="x"), answer)


async def test_save_exchange_is_all_or_nothing(store: SqlKnowledgeStore) -> None:
    first = await exchange(store, 1)
    clash = dataclasses.replace(first, question_id="q-2")
    with pytest.raises(InvalidInputError):  # the answer id is taken: the question must not stay
        await store.save_exchange("q-2", Question(text="again?", external_id="ext-2"), clash)
    assert await store.get_question("q-2") is None
    assert await store.find_question_by_external_id("ext-2") is None


async def test_unreachable_database_is_a_service_error(database_url: str, tmp_path: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # A file that is not a database (a missing directory would fail inside aiosqlite's connect,
        # whose worker thread then outlives the test's event loop and warns).
        garbage = tmp_path / "not-a-database.db"
        garbage.write_bytes(b"this is not an SQLite file\n" * 200)
        broken = f"sqlite+aiosqlite:///{garbage}"
    else:
        broken = url.set(database=f"missing_{url.database}").render_as_string(hide_password=False)
    store = SqlKnowledgeStore(broken)
    with pytest.raises(ServiceUnavailableError):
        await store.initialize()
    await store.close()


async def test_delete_question_text(store: SqlKnowledgeStore) -> None:
    await exchange(store, 1)
    await store.delete_question_text("q-1")

    question = await store.find_question_by_external_id("ext-1")
    assert question is not None and question.deleted and question.text == ""
    assert question.id == "q-1" and question.account == "acme"
    assert await store.get_answer("ans-1") is not None
    with pytest.raises(NotFoundError):
        await store.delete_question_text("q-missing")


async def test_stats(store: SqlKnowledgeStore) -> None:
    empty = await store.stats()
    assert empty["questions"] == 0 and math.isnan(empty["precision"]) and math.isnan(empty["handoff_rate"])

    old = T0 - timedelta(days=30)
    await exchange(store, 0, at=old)  # outside the window below
    await store.set_outcomes_if_unknown(["ans-0"], False, 1.0)
    for n in (1, 2, 3, 4):
        await exchange(store, n, at=T0 + timedelta(minutes=n))
    await exchange(store, 5, decision=Decision.HANDOFF, at=T0)
    await store.set_outcomes_if_unknown(["ans-1"], True, 1.0)
    await store.set_outcomes_if_unknown(["ans-2"], True, 0.3)
    await store.set_outcomes_if_unknown(["ans-3"], False, 1.0)
    await store.set_outcomes_if_unknown(["ans-5"], False, 1.0)  # a handoff's label counts for neither
    signals = [Signal.CORRECT, Signal.CORRECT, Signal.APPROVE, Signal.APPROVE, Signal.REJECT]
    for n, signal in enumerate(signals):
        await store.apply_learning(LearningChange(event=event(f"evt-{n}", signal)))
    await store.apply_learning(LearningChange(event=event("evt-old", Signal.APPROVE, created_at=old)))
    await store.undo_event("evt-1", [], [])
    await store.add_items(
        [
            (item("r1", kind=ItemKind.RESOLUTION), vec(1)),
            (item("r2", kind=ItemKind.RESOLUTION, account="acme"), vec(2)),
            (item("r3", kind=ItemKind.RESOLUTION, status=ItemStatus.RETIRED), vec(3)),
            (item("r4", kind=ItemKind.RESOLUTION, created_at=old), vec(4)),
            (item("p1"), vec(5)),
        ]
    )

    stats = await store.stats(since=T0 - timedelta(days=1))
    expected = {
        "questions": 5,
        "answered": 4,
        "handed_off": 1,
        "correct": 2,
        "wrong": 1,
        "corrections": 1,
        "approvals": 2,
        "rejections": 1,
        "learned_items": 2,
        "auto_resolution_rate": 3 / 5,
        "precision": 2 / 3,
        "handoff_rate": 1 / 5,
    }
    assert stats == pytest.approx(expected)
    everything = await store.stats()
    totals = [everything[key] for key in ("questions", "wrong", "approvals", "learned_items")]
    assert totals == [6, 2, 3, 3]
    assert everything["precision"] == pytest.approx(2 / 4)


async def test_migrations_twice_are_a_no_op_and_match_the_schema(database_url: str) -> None:
    store = SqlKnowledgeStore(database_url)
    await store.initialize()
    await store.add_items([(item("a"), vec(1))])
    await store.initialize()
    await upgrade(database_url)
    assert set(await store.get_items(["a"])) == {"a"}
    await store.close()

    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = connect(database_url)
    try:
        async with engine.connect() as conn:
            versions = await conn.execute(text("SELECT version_num FROM alembic_version"))
            assert versions.scalars().all() == [head]
            assert (await conn.execute(select(learning_events))).all() == []

            def differences(sync_conn: Connection) -> list[object]:
                # Only tables some imported schema module declares; others have tests of their own.
                ours = set(metadata.tables)
                context = MigrationContext.configure(
                    sync_conn, opts={"include_name": lambda name, kind, _: kind != "table" or name in ours}
                )
                return list(compare_metadata(context, metadata))

            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = SqlKnowledgeStore(f"sqlite+aiosqlite:///{tmp_path}/pragmas.db")
    await store.initialize()
    try:
        async with store._engine.connect() as conn:  # the pragmas are per connection
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        await store.close()
