"""The last check on an answer's text before anyone sees it: does it stay inside what it may use?

Retrieval already limits the candidates to what the asking account may see, and the answerer is
told that sources are data. This check assumes both can fail (a prompt injection in a customer's
message or an ingested document, a hostile or confused model, a scoping bug) and looks at the
output itself. An answer fails when it

* cites an item that is not among the candidates it was given, or rests on a candidate the
  asking account may not see (another account's private knowledge);
* names an item, answer or event id that is not one of its candidates;
* is longer than ``MAX_ANSWER_CHARS`` (no support answer needs more; a flood is an attack);
* contains a URL, a bare domain (chat clients autolink ``evil.example/reset``) or an e-mail
  address that is not exactly one of its sources' (hosts and URLs are compared whole: a prefix
  or a substring of a source's URL is not that URL);
* pages people (``<!channel>``, ``<!here>``, ``<!everyone>``, ``<!subteam…>``: never needed), or
  holds a mention or channel link (``<@U…>``, ``<#C…>``) that none of its sources holds (an
  agent's learned answer may name a channel);
* repeats a sentence of the answerer's confidential instructions, one of their distinctive
  tokens (a canary such as ``AB-PROMPT-123``, however it is spaced or hyphenated), paraphrases
  them (several of their four-word phrases that no source holds), or talks about its "system
  prompt" or "instructions" when no source does.

Every rule runs on ``visible_text(text)``, the text as a chat client shows it (NFKC, no
zero-width or bidi characters), so invisible characters cannot split a forbidden string; the
service posts that same visible text.

The service hands off an answer that fails (see ``Assistant.ask``). Pure: no I/O, no logging of
text; ``problems`` name what failed, never quote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from assistant.answering.visible import visible_text
from assistant.models import KnowledgeItem
from assistant.ports import Composition

__all__ = ["MAX_ANSWER_CHARS", "OutputVerdict", "check_output"]

MAX_ANSWER_CHARS = 12_000
"""The longest answer that may be shown (Claude's replies are capped near 4,000 characters and
learned answers and passages are far shorter); anything longer is handed off."""

_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s<>|\"'`)\]]+", re.IGNORECASE)
_URL_TRAILER = ".,;:!?*_~"
# A host name as chat clients autolink it: dot-separated labels ending in an alphabetic TLD,
# optionally followed by a path; not part of a longer word, path or e-mail local part.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_BARE = re.compile(
    rf"(?<![\w.@/:-])((?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]+))(?![\w-])"
    r"(/[^\s<>|\"'`)\]]*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(rf"[\w.+-]+@((?:{_LABEL}\.)+[^\W\d_]{{2,63}})(?![\w-])", re.IGNORECASE)
_CANARY = re.compile(r"\b[A-Z0-9]+(?:[-_][A-Z0-9]+)+\b")
_WORD = re.compile(r"\w+(?:'\w+)?")
_SHINGLE = 4
_PARAPHRASE_SHINGLES = 3
_ID = re.compile(r"\b(?:kn|ans|q|evt|doc|bug)_[0-9a-f]{12}\b")
_BROADCAST = re.compile(r"<\s*!", re.IGNORECASE)
_MENTION = re.compile(r"<\s*[@#][^>]*>")
_PROMPT_TALK = re.compile(
    r"\b(?:system\s+prompt|(?:my|previous|prior)\s+(?:instructions|rules)"
    r"|ignore\s+(?:all\s+)?(?:previous|prior|above|your|my)\s+(?:instructions|rules))\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")
_CONFIDENTIAL_MIN_WORDS = 6


@dataclass(frozen=True, slots=True)
class OutputVerdict:
    """What is wrong with an answer (nothing when ``ok``)."""

    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _url_key(url: str, *, scheme: bool = True) -> str | None:
    """A URL compared whole: scheme and host lower-cased, path, query and fragment as written,
    a trailing ``/`` ignored; None when it cannot be parsed."""
    try:
        parts = urlsplit(url.rstrip(_URL_TRAILER))
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if not parts.netloc:
        return None
    key = parts.netloc.casefold() + parts.path.rstrip("/")
    key += f"?{parts.query}" if parts.query else ""
    key += f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme.casefold()}://{key}" if scheme else key


@dataclass(slots=True)
class _Links:
    """The URLs (with and without scheme), hosts and e-mail addresses a text holds."""

    urls: set[str]
    bare: set[str]
    hosts: set[str]
    emails: set[str]


def _links(text: str) -> tuple[_Links, list[str]]:
    """What links ``text`` holds, and the problems found parsing them (an unparseable URL)."""
    links = _Links(set(), set(), set(), set())
    problems: list[str] = []
    rest = text
    for match in _URL.finditer(text):
        url = match.group(0)
        key, bare = _url_key(url), _url_key(url, scheme=False)
        if key is None or bare is None:
            problems.append(url)
            continue
        links.urls.add(key)
        links.bare.add(bare)
        host = urlsplit(url).hostname
        if host:
            links.hosts.add(host.casefold())
    rest = _URL.sub(" ", rest)
    for match in _EMAIL.finditer(rest):
        links.emails.add(match.group(0).casefold())
        links.hosts.add(match.group(1).casefold())
    rest = _EMAIL.sub(" ", rest)
    for match in _BARE.finditer(rest):
        host = match.group(1).casefold()
        links.hosts.add(host)
        path = (match.group(2) or "").rstrip(_URL_TRAILER).rstrip("/")
        links.bare.add(host + path)
    return links, problems


def _unknown_link(text: str, source: _Links) -> bool:
    """True when ``text`` holds a URL, bare domain or e-mail address that is not exactly one of
    the sources'."""
    found, unparsed = _links(text)
    if unparsed:
        return True
    if not found.urls <= source.urls or not found.emails <= source.emails:
        return True
    if not found.hosts <= source.hosts:
        return True
    # A bare ``host/path`` must be a source's URL without its scheme; a bare host, a source's host.
    return any("/" in bare and bare not in source.bare for bare in found.bare)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _canaries(texts: Iterable[str]) -> set[str]:
    """The distinctive tokens of ``texts`` (letters and digits joined by ``-`` or ``_``), squashed."""
    return {
        _squash(token)
        for text in texts
        for token in _CANARY.findall(text)
        if any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token)
    }


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}


def _confidential_sentences(texts: Iterable[str]) -> list[str]:
    sentences = []
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            folded = _fold(sentence)
            if len(folded.split()) >= _CONFIDENTIAL_MIN_WORDS:
                sentences.append(folded)
    return sentences


def _instruction_problem(text: str, sources: str, confidential: Sequence[str]) -> str | None:
    """Why ``text`` gives its instructions away, if it does (all texts already visible)."""
    folded, source_folded = _fold(text), _fold(sources)
    if any(sentence in folded for sentence in _confidential_sentences(confidential)):
        return "repeats its instructions"
    squashed, source_squashed = _squash(text), _squash(sources)
    if any(c in squashed and c not in source_squashed for c in _canaries(confidential)):
        return "repeats its instructions (a confidential token)"
    private: set[tuple[str, ...]] = set().union(*(_shingles(c) for c in confidential))
    private -= _shingles(sources)
    if len(_shingles(text) & private) >= _PARAPHRASE_SHINGLES:
        return "repeats its instructions in other words"
    if any(m.group(0).casefold() not in source_folded for m in _PROMPT_TALK.finditer(folded)):
        return "talks about its instructions"
    return None


def check_output(
    composition: Composition,
    allowed: Sequence[KnowledgeItem],
    *,
    account: str | None,
    confidential: Sequence[str] = (),
) -> OutputVerdict:
    """Check ``composition`` against the candidate items it was written from.

    ``account`` is the asking account (None sees only global knowledge); ``confidential`` holds
    texts the answer must never repeat (an LLM answerer's system prompt). The text checked is
    ``visible_text(composition.text)``: the caller shows that text, nothing else.
    """
    problems: list[str] = []
    raw = composition.text
    if len(raw) > MAX_ANSWER_CHARS:
        return OutputVerdict(("is longer than an answer may be",))
    text = visible_text(raw)
    visible = [item for item in allowed if item.account is None or item.account == account]
    if len(visible) < len(allowed):
        problems.append("rests on another account's knowledge")
    visible_ids = {item.id for item in visible}
    if any(item_id not in visible_ids for item_id in composition.item_ids):
        problems.append("cites a source it was not given")
    if any(found not in visible_ids for found in _ID.findall(text)):
        problems.append("names an id that is not one of its sources")

    sources = visible_text("\n".join(f"{item.title} {item.url or ''} {item.text}" for item in visible))
    source_links, _ = _links(sources)
    if _unknown_link(text, source_links):
        problems.append("contains a URL that is in none of its sources")
    source_text = _fold(sources)
    if _BROADCAST.search(text):
        problems.append("contains a broadcast (chat markup that pages people)")
    elif any(_fold(m.group(0)) not in source_text for m in _MENTION.finditer(text)):
        problems.append("contains a mention that is in none of its sources (chat markup)")

    instruction = _instruction_problem(text, sources, [visible_text(c) for c in confidential])
    if instruction:
        problems.append(instruction)
    return OutputVerdict(tuple(problems))
