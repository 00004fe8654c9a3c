"""`assistant teams-package`: the zip Teams accepts, with the app id filled in and valid icons."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.teams.manifest import MANIFESTS, PLACEHOLDER, problems

APP_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def test_the_package_holds_the_manifest_with_the_app_id_and_both_icons(tmp_path: Path) -> None:
    output = tmp_path / "teams.zip"
    result = CliRunner().invoke(app, ["teams-package", "--app-id", APP_ID, "--output", str(output)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = Image.open(io.BytesIO(package.read("color.png")))
        outline = Image.open(io.BytesIO(package.read("outline.png")))
    assert problems(manifest) == []
    assert manifest["id"] == manifest["bots"][0]["botId"] == manifest["webApplicationInfo"]["id"] == APP_ID
    assert PLACEHOLDER not in json.dumps(manifest)
    assert {"personal", "team"} <= set(manifest["bots"][0]["scopes"])
    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size, outline.mode) == ("PNG", (32, 32), "RGBA")
    raw = outline.convert("RGBA").tobytes()
    pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
    assert any(a == 0 for *_, a in pixels) and any(a == 255 for *_, a in pixels)  # transparent, with a shape
    assert all((r, g, b) == (255, 255, 255) for r, g, b, a in pixels if a)  # white only


def test_the_app_id_comes_from_the_environment_and_must_be_a_guid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    output = tmp_path / "from-env.zip"
    assert runner.invoke(app, ["teams-package", "-o", str(output)]).exit_code == 0
    with zipfile.ZipFile(output) as package:
        assert json.loads(package.read("manifest.json"))["id"] == APP_ID

    refused = runner.invoke(app, ["teams-package", "--app-id", "my-bot", "-o", str(tmp_path / "x.zip")])
    assert refused.exit_code == 1 and "is not an app id" in refused.output
    monkeypatch.delenv("MICROSOFT_APP_ID")
    missing = runner.invoke(app, ["teams-package", "-o", str(tmp_path / "y.zip")])
    assert missing.exit_code == 1 and "--app-id" in missing.output
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "y.zip").exists()


def test_problems_names_every_missing_or_wrong_required_field() -> None:
    template = json.loads((MANIFESTS / "manifest.json").read_text().replace(PLACEHOLDER, APP_ID))
    assert problems(template) == []
    broken = json.loads(json.dumps(template))
    del broken["developer"]["privacyUrl"]
    broken["name"]["short"] = "A name far too long for the Teams app bar"
    broken["accentColor"] = "blue"
    broken["bots"][0]["scopes"] = ["everywhere"]
    broken["id"] = "not-a-guid"
    broken["developer"]["websiteUrl"] = "http://plain.example.com"
    found = problems(broken)
    assert "developer.privacyUrl is required" in found
    assert "name.short is longer than 30 characters" in found
    assert "developer.websiteUrl must be an https URL" in found
    assert any(line.startswith("accentColor") for line in found)
    assert any(line.startswith("bots[].scopes") for line in found)
    assert "id must be the app id (a GUID)" in found
