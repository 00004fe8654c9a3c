"""Account profiles from a file: the default ``AccountContext`` when no CRM is configured.

``ASSISTANT_ACCOUNTS_FILE`` names a YAML file (a list of accounts, or a mapping of account id to
its fields) or a CSV file (one account a row, header ``account,name,plan,products,tier,...``;
``products`` and ``domains`` separated by ``;``). Fields: ``account`` (the id channels are bound
to), ``name``, ``plan``, ``products``, ``tier``, ``owner``, ``arr``, ``renewal_date``
(YYYY-MM-DD), ``domains``; any other field is kept in ``extra`` (passed to answers as data). The
file is read once, at start: a mistake fails the start with the file and line, not a question.
``samples/accounts.yaml`` is an example.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assistant.accounts import AccountProfile
from assistant.errors import MalformedFileError

__all__ = ["FileAccountContext", "read_accounts"]

_KNOWN = ("account", "name", "plan", "products", "tier", "owner", "arr", "renewal_date", "domains")


class FileAccountContext:
    """Profiles read from a YAML or CSV file (``read_accounts``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._profiles = read_accounts(self.path)

    async def profile(self, account: str) -> AccountProfile | None:
        return self._profiles.get(account)

    def __len__(self) -> int:
        return len(self._profiles)


def read_accounts(path: Path) -> dict[str, AccountProfile]:
    """Every profile in the file, by account id; ``MalformedFileError`` for what cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedFileError(str(path), f"cannot be read ({type(exc).__name__})") from exc
    rows: Iterable[tuple[int | None, Mapping[str, Any]]]
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = ((number, row) for number, row in enumerate(reader, start=2))
    elif path.suffix.lower() in (".yaml", ".yml"):
        rows = ((None, row) for row in _yaml_rows(path, text))
    else:
        raise MalformedFileError(str(path), "an accounts file is .yaml, .yml or .csv")
    profiles: dict[str, AccountProfile] = {}
    for line, row in rows:
        profile = _profile(path, line, row)
        if profile.account in profiles:
            raise MalformedFileError(str(path), f"account {profile.account!r} appears twice", line)
        profiles[profile.account] = profile
    return profiles


def _yaml_rows(path: Path, text: str) -> list[Mapping[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MalformedFileError(str(path), "not valid YAML", mark.line + 1 if mark else None) from exc
    if data is None:
        return []
    if isinstance(data, Mapping) and "accounts" in data:
        data = data["accounts"]
    if isinstance(data, Mapping):
        data = [{"account": key, **(value or {})} for key, value in data.items()]
    if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise MalformedFileError(str(path), "expected a list of accounts or a mapping of id to fields")
    return data


def _listed(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else str(value).split(";")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _profile(path: Path, line: int | None, row: Mapping[str, Any]) -> AccountProfile:
    account = str(row.get("account") or "").strip()
    if not account:
        raise MalformedFileError(str(path), "an account needs its id ('account')", line)

    def text(key: str) -> str | None:
        value = row.get(key)
        return str(value).strip() or None if value is not None else None

    try:
        arr = float(row["arr"]) if row.get("arr") not in (None, "") else None
        renewal = row.get("renewal_date")
        renewal_date = (
            renewal if isinstance(renewal, date) else date.fromisoformat(str(renewal)) if renewal else None
        )
    except ValueError as exc:
        raise MalformedFileError(
            str(path), f"account {account!r}: arr or renewal_date unreadable", line
        ) from exc
    extra = {str(k): str(v) for k, v in row.items() if k not in _KNOWN and v not in (None, "")}
    return AccountProfile(
        account=account,
        name=text("name"),
        plan=text("plan"),
        products=_listed(row.get("products")),
        tier=text("tier"),
        owner=text("owner"),
        arr=arr,
        renewal_date=renewal_date,
        domains=_listed(row.get("domains")),
        extra=extra,
    )
