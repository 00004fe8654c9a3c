"""The `assistant` command line, in process, on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app
from tests.conftest import SAMPLES


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, embedder, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run a command against one store, reusing the session's loaded model."""
    monkeypatch.setattr("adapters.wiring.build_embedder", lambda settings, **_: embedder)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    db = str(tmp_path / "cli.db")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, [*args, "--db", db])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_ingest_ask_correct_and_ask_again(cli) -> None:  # type: ignore[no-untyped-def]
    ingested = cli("ingest", str(SAMPLES / "kb"))
    assert "14 added" in ingested.output
    again = cli("ingest", str(SAMPLES / "kb"))
    assert "14 unchanged" in again.output

    first = json.loads(
        cli("ask", "Can we pay our suppliers in crypto?", "--account", "acme", "--json").output
    )
    assert first["decision"] == "handoff"
    cli("feedback", first["id"], "resolve", "No, Lumen Ledger cannot pay suppliers.", "--global")
    second = json.loads(
        cli("ask", "Could we pay suppliers with crypto?", "--account", "globex", "--json").output
    )
    assert second["text"] == "No, Lumen Ledger cannot pay suppliers."

    learned = cli("learned").output
    assert "resolved a hand-off" in learned
    assert "question: Can we pay our suppliers in crypto?" in learned
    assert "learned:  No, Lumen Ledger cannot pay suppliers.  [for every account]" in learned
    [entry] = json.loads(cli("learned", "--json").output)
    assert entry["question"] == "Can we pay our suppliers in crypto?"
    assert entry["event"]["signal"] == "resolve"
    assert "crypto" in cli("learned", "--search", "suppliers").output
    assert cli("learned", "--search", "no-such-words").output.strip() == "Nothing matches."
    event_id = learned.split()[0]
    cli("forget", event_id)
    third = json.loads(
        cli("ask", "Could we pay suppliers with crypto?", "--account", "globex", "--json").output
    )
    assert third["text"] != "No, Lumen Ledger cannot pay suppliers."


def test_teach_private_and_stats(cli) -> None:  # type: ignore[no-untyped-def]
    cli("teach", "What are our payment terms?", "Net 45 for Acme.", "--account", "acme", "--private")
    own = json.loads(cli("ask", "What are our payment terms?", "--account", "acme", "--json").output)
    other = json.loads(cli("ask", "What are our payment terms?", "--account", "globex", "--json").output)
    assert own["text"] == "Net 45 for Acme."
    assert "Net 45" not in other["text"]
    stats = json.loads(cli("stats", "--json").output)
    assert stats["questions"] == 2


def test_newer_document_version_supersedes_the_old(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "api-rate-limits.md"
    page.write_text((SAMPLES / "kb" / "api-rate-limits.md").read_text())
    cli("ingest", str(docs))
    before = json.loads(cli("ask", "What is the API rate limit per minute?", "--json").output)
    assert "600" in before["text"]
    page.write_text((SAMPLES / "kb-v2" / "api-rate-limits.md").read_text())
    assert "1 updated" in cli("ingest", str(docs)).output
    for question in (
        "What is the API rate limit per minute?",
        "How many API requests per minute can we make?",
    ):
        after = json.loads(cli("ask", question, "--json").output)
        assert "600" not in after["text"]
        assert not set(after["item_ids"]) & set(before["item_ids"]), "a superseded chunk was cited"
    page.unlink()
    (docs / "other.md").write_text("# Other\n\nSomething else entirely about invoices.")
    assert "1 retired" in cli("ingest", str(docs)).output


def test_bad_input_is_a_clear_error_that_changes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.md"
    empty.write_text("")
    result = cli("ingest", str(empty), ok=False)
    assert result.exit_code == 1 and "empty" in result.output
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    assert "binary" in cli("ingest", str(binary), ok=False).output
    missing = cli("ingest", str(tmp_path / "nope"), ok=False)
    assert missing.exit_code == 1 and "nope" in missing.output

    tickets = tmp_path / "tickets.csv"
    tickets.write_text('question,answer\n"How do I export?","Reports → Export"\n"Broken row only question"\n')
    bad = cli("import-tickets", str(tickets), ok=False)
    assert bad.exit_code == 1 and ":3" in bad.output
    assert json.loads(cli("stats", "--json").output)["learned_items"] == 0

    huge = cli("ask", "x" * 40_001, ok=False)
    assert huge.exit_code == 1 and "limit" in huge.output
    unknown = cli("forget", "evt_nothing", ok=False)
    assert unknown.exit_code == 1 and "evt_nothing" in unknown.output


def test_import_tickets_then_ask(cli) -> None:  # type: ignore[no-untyped-def]
    output = cli("import-tickets", str(SAMPLES / "tickets.csv")).output
    assert "34 resolutions imported" in output and "4 skipped (the reply was not an answer" in output


def test_replay_writes_the_report_and_plots_both_arms(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.assistant.replay.test_harness import write_replay

    directory = write_replay(tmp_path / "set", repeats=3)
    out, plot = tmp_path / "report.json", tmp_path / "curve.png"
    result = cli("replay", str(directory), "--out", str(out), "--plot", str(plot), "--checkpoints", "10,30")
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("auto_resolution=") and "test_forced_accuracy=" in last
    report = json.loads(out.read_text())
    assert report["arm"] == "learning" and report["other_arm"]["arm"] == "static"
    assert [c["after"] for c in report["checkpoints"]] == [10, 30]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli("replay", str(directory), "--out", str(out), "--checkpoints", "ten", ok=False)
    assert bad.exit_code == 1 and "--checkpoints" in bad.output


def test_a_private_correction_shadows_the_shared_answer_for_its_account_only(cli) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: correcting a shared answer for acme (no --global) neither widens the correction
    nor takes the shared answer away from other accounts."""
    cli("teach", "How do I export my invoices?", "Settings > Billing > Export.")
    acme = json.loads(cli("ask", "How do I export my invoices?", "--account", "acme", "--json").output)
    assert acme["text"] == "Settings > Billing > Export."
    corrected = cli("feedback", acme["id"], "correct", "Acme exports through their ERP connector.").output
    assert "private to acme" in corrected
    again = json.loads(cli("ask", "How do I export my invoices?", "--account", "acme", "--json").output)
    other = json.loads(cli("ask", "How do I export my invoices?", "--account", "globex", "--json").output)
    assert again["text"] == "Acme exports through their ERP connector."
    assert other["text"] == "Settings > Billing > Export."


def test_channels_set_maps_the_organisations_of_an_account(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("channels", "set", "C0ACME", "--account", "acme", "--org", "T0ACME", "--org", "E0ACME").output
    assert "account acme" in out and "T0ACME" in out and "E0ACME" in out


def test_learned_json_lists_the_events(cli) -> None:  # type: ignore[no-untyped-def]
    """Issue 15, item 7: ``learned --json`` crashed with "cannot serialise LearningEvent"."""
    assert json.loads(cli("learned", "--json").output) == []
    cli("teach", "What are our payment terms?", "Net 45 for Acme.", "--account", "acme", "--private")
    cli("teach", "Do you support SSO?", "Yes, with Okta and Entra ID.")
    entries = json.loads(cli("learned", "--json").output)
    events = [entry["event"] for entry in entries]
    assert [e["signal"] for e in events] == ["teach", "teach"]
    assert {e["account"] for e in events} == {"acme", None}
    assert {entry["question"] for entry in entries} == {"What are our payment terms?", "Do you support SSO?"}
    first = events[0]
    assert first["id"].startswith("evt_") and first["role"] == "agent" and first["undone_at"] is None
    assert "T" in first["created_at"]  # ISO 8601
    cli("forget", first["id"])
    undone = {e["event"]["id"]: e["event"] for e in json.loads(cli("learned", "--json").output)}
    assert undone[first["id"]]["undone_at"] is not None
