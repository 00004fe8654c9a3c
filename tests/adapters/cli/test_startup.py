"""The CLI answers at once where it can (issue 18): ``--help``, bad input and bad settings are
reported before anything heavy is imported, and ``stats``/``learned`` read the store without the
model or the numeric stack. Checked by what each command imported (in a fresh interpreter), not by
timing; the times are recorded by ``benchmarks/cli_speed.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import default_database_url_for

HEAVY = ("onnxruntime", "torch", "sentence_transformers", "transformers", "scipy", "sklearn")
ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
from typer.testing import CliRunner
from adapters.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
print(json.dumps({"exit": result.exit_code, "output": result.output,
                  "heavy": sorted(m for m in {heavy} if m in sys.modules)}))
"""


def run_cli(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    code = PROBE.replace("{heavy}", repr(HEAVY))
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=True,
    )
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "stderr": done.stderr}


def test_help_imports_nothing_heavy() -> None:
    result = run_cli("--help")
    assert result["exit"] == 0 and "ask" in str(result["output"])
    assert result["heavy"] == []


def test_an_empty_question_is_refused_before_the_model_is_loaded(tmp_path: Path) -> None:
    result = run_cli("ask", "   ", "--db", str(tmp_path / "store.db"))
    assert result["exit"] == 1 and "The question is empty." in str(result["output"])
    assert result["heavy"] == []


def test_a_bad_setting_is_reported_before_anything_heavy(tmp_path: Path) -> None:
    result = run_cli("stats", env={"ASSISTANT_MAX_QUESTION_CHARS": "lots"})
    assert result["exit"] == 1 and "ASSISTANT_MAX_QUESTION_CHARS" in str(result["output"])
    assert result["heavy"] == []


@pytest.mark.parametrize("command", [["stats"], ["learned"], ["stats", "--json"]])
def test_reading_commands_never_load_the_model(tmp_path: Path, command: list[str]) -> None:
    url = default_database_url_for(tmp_path / "store.db")
    result = run_cli(*command, env={"ASSISTANT_DATABASE_URL": url})
    assert result["exit"] == 0, result["output"]
    model = {"onnxruntime", "torch", "sentence_transformers", "transformers"}
    assert not model & set(result["heavy"])  # type: ignore[arg-type]


def test_stats_on_a_fresh_store_says_no_outcomes_yet(tmp_path: Path) -> None:
    url = default_database_url_for(tmp_path / "store.db")
    result = run_cli("stats", env={"ASSISTANT_DATABASE_URL": url})
    assert "precision: no outcomes yet" in str(result["output"])
    assert "nan" not in str(result["output"])


def test_the_probe_sees_a_command_that_loads_the_model(tmp_path: Path) -> None:
    """The check is not blind: asking a real question loads the model, and the probe says so. The
    default runtime is ONNX Runtime: torch is never imported (issue 18, item 7)."""
    url = default_database_url_for(tmp_path / "store.db")
    result = run_cli("ask", "How do I reset my password?", env={"ASSISTANT_DATABASE_URL": url})
    assert result["exit"] == 0, result["output"]
    assert "onnxruntime" in result["heavy"]  # type: ignore[operator]
    assert not {"torch", "sentence_transformers", "transformers"} & set(result["heavy"])  # type: ignore[arg-type]
    # and loading it draws no progress bar over the answer
    assert "Loading weights" not in str(result["output"]) + str(result["stderr"])


def test_forget_refuses_an_unknown_id_from_the_store_alone(tmp_path: Path) -> None:
    url = default_database_url_for(tmp_path / "store.db")
    result = run_cli("forget", "evt_unknown", env={"ASSISTANT_DATABASE_URL": url})
    assert result["exit"] == 1 and "Nothing learned has the id evt_unknown." in str(result["output"])
    assert result["heavy"] == []
