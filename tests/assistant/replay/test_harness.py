"""Replay through the real pipeline: learning beats the static bot, and the report is complete."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import MalformedFileError
from assistant.knowledge.replay_format import read_replay_dir
from assistant.replay.harness import ReplayOptions, default_checkpoints, run_replay

TOPICS = {
    "reset-2fa": (
        "Two-factor reset",
        "An admin resets 2FA under Settings → Users → Reset 2FA.",
        [
            "I lost my phone and can't log in with 2FA",
            "how do I reset two factor auth",
            "2FA device lost, help",
        ],
    ),
    "export-csv": (
        "Exporting data",
        "Use Reports → Export → CSV to download invoices.",
        [
            "how can I download my invoices as csv",
            "export invoice list to a spreadsheet",
            "get a CSV of invoices",
        ],
    ),
    "refund": (
        "Refunds",
        "Open the payment and click Refund; card refunds take 5-10 days.",
        [
            "how do I refund a customer",
            "customer wants their money back",
            "issue a refund for a card payment",
        ],
    ),
}


def write_replay(directory: Path, repeats: int = 8) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "kb.jsonl").open("w") as kb:
        for key, (title, body, _) in TOPICS.items():
            kb.write(json.dumps({"id": key, "title": title, "body": body}) + "\n")
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    rows = []
    for r in range(repeats):
        for key, (_, body, questions) in TOPICS.items():
            for q in questions:
                rows.append({"text": f"{q}{'?' * (r % 3)}", "gold": key, "answer": body})
        rows.append(
            {
                "text": f"can you book me a flight to Paris {r}",
                "gold": None,
                "answer": "We can't help with that.",
            }
        )
    with (directory / "stream.jsonl").open("w") as stream:
        for i, row in enumerate(rows):
            account = f"acct-{i % 4}"
            stream.write(
                json.dumps(
                    {
                        "id": f"s-{i}",
                        "ts": (start + timedelta(minutes=30 * i)).isoformat().replace("+00:00", "Z"),
                        "account": account,
                        "user": f"{account}-u",
                        "channel": f"shared-{account}",
                        **row,
                    }
                )
                + "\n"
            )
    tests = [
        ("I can't get past two-factor, phone is gone", "reset-2fa"),
        ("download invoices csv", "export-csv"),
        ("refund my customer please", "refund"),
        ("what's the weather in Rome", None),
    ]
    with (directory / "test.jsonl").open("w") as test:
        for i, (text, gold) in enumerate(tests):
            test.write(
                json.dumps(
                    {
                        "id": f"t-{i}",
                        "ts": "2026-03-01T00:00:00Z",
                        "account": "acct-1",
                        "user": "u",
                        "channel": "c",
                        "text": text,
                        "gold": gold,
                        "answer": "x",
                    }
                )
                + "\n"
            )
    return directory


async def test_learning_arm_resolves_more_than_the_static_arm(tmp_path: Path, embedder, settings) -> None:  # type: ignore[no-untyped-def]
    from adapters.wiring import build_assistant
    from assistant.config import default_database_url_for, load_settings

    data = read_replay_dir(write_replay(tmp_path / "set"))
    reports = {}
    for learning in (True, False):
        url = default_database_url_for(tmp_path / f"arm-{learning}.db")
        service = build_assistant(load_settings(database_url=url), embedder=embedder, background_refit=False)
        await service.start()
        try:
            reports[learning] = await run_replay(
                service,
                data,
                dataset="set",
                options=ReplayOptions(learning=learning, checkpoints=(40, len(data.stream))),
            )
        finally:
            await service.close()
    learned, static = reports[True], reports[False]
    assert learned.cumulative["questions"] == len(data.stream) == 80
    assert learned.cumulative["auto_resolution_rate"] > static.cumulative["auto_resolution_rate"]
    assert [c["after"] for c in learned.checkpoints] == [40, 80]
    final = learned.checkpoints[-1]
    assert final["forced_accuracy"] == 1.0
    assert final["oos_handoff"] in (0.0, 1.0)
    line = learned.summary_line()
    assert line.startswith("auto_resolution=") and "test_oos_handoff=" in line
    assert sum(w["questions"] for w in learned.windows) == 80
    stats = await _stats(tmp_path / "arm-True.db")
    assert stats["questions"] == 80


async def test_the_simulated_agent_answers_the_spot_checks_it_is_asked(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """Half the silent answers are drawn (by their message ids, so a replay run twice draws the same
    ones and gives the same figures); the agent judges those it is asked, and the verdicts stand
    as spot checks; an agent who ignores them leaves them waiting."""
    from adapters.wiring import build_assistant
    from assistant.config import default_database_url_for, load_settings

    data = read_replay_dir(write_replay(tmp_path / "set"))
    reports, waiting, checked = [], [], []
    for run, rate in enumerate((1.0, 1.0, 0.0)):
        url = default_database_url_for(tmp_path / f"run-{run}.db")
        settings = load_settings(database_url=url, spot_check_share=0.5)
        service = build_assistant(settings, embedder=embedder, background_refit=False)
        await service.start()
        try:
            options = ReplayOptions(spot_check_rate=rate, checkpoints=(len(data.stream),))
            reports.append(await run_replay(service, data, dataset="set", options=options))
            waiting.append(len(await service.spot_checks(limit=1000)))
            checked.append(sum(o.spot_checked for o in await service.store.labelled_outcomes(1000)))
        finally:
            await service.close()
    first, again, ignored = reports
    assert first.spot_checks > 5 and checked[0] == first.spot_checks
    assert (again.spot_checks, again.cumulative) == (first.spot_checks, first.cumulative)
    assert ignored.spot_checks == 0 == checked[2] and waiting[2] > waiting[0]
    assert first.parameters["spot_check_share"] == 0.5


async def _stats(path: Path) -> dict[str, float]:
    from adapters.storage.sql import SqlKnowledgeStore
    from assistant.config import default_database_url_for

    store = SqlKnowledgeStore(default_database_url_for(path))
    try:
        return await store.stats()
    finally:
        await store.close()


def test_default_checkpoints_end_at_the_stream_end() -> None:
    assert default_checkpoints(100) == (50, 100)
    assert default_checkpoints(100, count=4) == (25, 50, 75, 100)
    assert default_checkpoints(2) == (1, 2)


def test_a_malformed_stream_line_is_named(tmp_path: Path) -> None:
    directory = write_replay(tmp_path / "bad", repeats=1)
    lines = (directory / "stream.jsonl").read_text().splitlines()
    lines[4] = "{not json"
    (directory / "stream.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(MalformedFileError) as caught:
        read_replay_dir(directory)
    assert caught.value.line == 5


async def test_the_simulated_agent_shares_tagged_replies_and_keeps_bespoke_ones(settings, embedder) -> None:  # type: ignore[no-untyped-def]
    """A reply tagged with a macro or article is shared knowledge (the agent chose "everyone"); an
    untagged, bespoke one stays with the account that was told it."""
    from adapters.wiring import build_assistant
    from assistant.knowledge.replay_format import ReplayData, StreamRecord
    from assistant.service import Assistant

    def asked(n: int, account: str, text: str, gold: str | None, answer: str) -> StreamRecord:
        at = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(minutes=n)
        return StreamRecord(
            line=n, id=f"s-{n}", ts=at, account=account, user=f"{account}-u", channel=f"shared-{account}",
            text=text, gold=gold, answer=answer,
        )  # fmt: skip

    macro = "Open Settings → Branding and upload your logo; it shows on every invoice."
    bespoke = "Your account manager, Dana, will call you on Tuesday about the renewal."
    data = ReplayData(
        kb=[],
        stream=[
            asked(1, "acme", "how do I put our logo on invoices", "macro-logo", macro),
            asked(2, "acme", "when is our renewal call", None, bespoke),
        ],
        test=[],
    )
    service: Assistant = build_assistant(settings, embedder=embedder, background_refit=False)
    await service.start()
    try:
        await run_replay(service, data, dataset="scope", options=ReplayOptions())
        items = {item.text: item for item in service.engine.active_items()}
        assert items[macro].account is None
        assert items[bespoke].account == "acme"
    finally:
        await service.close()
