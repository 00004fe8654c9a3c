"""What a person's chat message is, platform-neutral: small talk, and what kind of reply an agent wrote.

One source of truth for Slack and Teams (and anything else that reads agents' replies). An agent's
free-text reply in a customer thread is at most a *candidate* answer (``assistant.learning.
candidates``); ``classify_reply`` decides whether it can even be one:

* ``NOTE``: an internal note, whatever its formatting or language: a leading ``note``, ``internal``,
  ``fyi``, ``todo``, ``nota``, ``notiz``, ``interne``, ``intern``, ``interno``, ``remarque``... (any
  case, in ``*bold*``/``_italic_``/``[brackets]``/``(parentheses)``, followed by ``:``, ``-``, ``–``,
  ``—`` or a closing bracket), or ``//``, ``#internal``.
* ``HOLDING``: "let me check with billing and get back to you", "looking into it", "un momento",
  "je vérifie": every sentence only promises later work.
* ``QUESTION``: every sentence that is not small talk or holding asks the customer something.
* ``SMALL_TALK``: thanks, greetings, acknowledgements, emoji.
* ``ANSWER``: anything else; only these may ever be taught.

Pure functions, no I/O: each rule is tested on its own.
"""

from __future__ import annotations

import re
from enum import StrEnum

_EMOJI_CODE = re.compile(r":[a-z0-9_+\-']+:(?::skin-tone-\d:)?", re.IGNORECASE)
_MENTION = re.compile(r"<[@#!][^>]*>")
_NON_WORD = re.compile(r"[^\w\s']+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_LEADING_MENTIONS = re.compile(r"^(?:\s*(?:<@[UW][A-Z0-9_]+(?:\|[^>]*)?>|<at>[^<]*</at>)[\s,:]*)+")

_SMALL_TALK = """
    thanks thank thankyou thx ty tysm you u so very much a lot lots many again all team folks everyone
    guys there ok okay k kk okey alright cool great perfect awesome nice excellent amazing super brilliant
    got it that works worked sounds good fine sure yes yep yeah no nope np noted understood
    hi hello hey hiya morning afternoon evening good day bye goodbye cheers later see ya
    welcome lol haha :) much appreciated appreciate it's its all
    merci danke gracias grazie obrigado obrigada bonjour hallo hola ciao salut
"""
SMALL_TALK_WORDS = frozenset(_SMALL_TALK.split())
SMALL_TALK_MAX_WORDS = 8

#: Words that open an internal note (lower case, any language we have seen agents use).
NOTE_WORDS = frozenset(
    [
        "note",
        "notes",
        "nb",
        "n.b",
        "fyi",
        "todo",
        "internal",
        "intern",
        "interne",
        "interno",
        "interna",
        "internal-only",
        "private",
        "nota",
        "notiz",
        "remarque",
        "anmerkung",
        "hinweis",
        "memo",
        "aside",
        "psst",
        "ps",
        "p.s",
        "staff",
    ]
)
_NOTE_SEPARATORS = re.compile(r"[:\-–—\])|]")
_HEAD_WORD = re.compile(r"[^\W\d_][\w.]*", re.UNICODE)
NOTE_HEAD_MAX_WORDS = 3
NOTE_HEAD_MAX_CHARS = 40
_NOTE_SYMBOLS = ("//", "#internal", "(internal)", "[internal]", "🔒", ":lock:")

#: Phrases that promise later work instead of answering (lower case, several languages).
HOLDING_PHRASES = (
    "let me check",
    "let me look",
    "let me ask",
    "let me find out",
    "let me confirm",
    "let me see",
    "let me dig",
    "let me verify",
    "let me loop",
    "i'll check",
    "i will check",
    "i'll look",
    "i will look",
    "i'll ask",
    "i will ask",
    "i'll find out",
    "i'll confirm",
    "i'll get back",
    "i will get back",
    "get back to you",
    "come back to you",
    "circle back",
    "follow up with you",
    "follow up shortly",
    "looking into",
    "look into it",
    "look into this",
    "checking with",
    "checking on",
    "checking this",
    "checking now",
    "investigating",
    "escalating",
    "escalated",
    "one moment",
    "one sec",
    "just a moment",
    "give me a moment",
    "give me a minute",
    "bear with",
    "hold on",
    "working on it",
    "we're on it",
    "we are on it",
    "will update you",
    "keep you posted",
    "will let you know",
    "i'll let you know",
    "stay tuned",
    # handing the question on: someone else will answer later
    "passed it on",
    "passed this on",
    "passed your request",
    "passed your question",
    "passed it to",
    "passed this to",
    "passing it on",
    "passing this on",
    "handed it over",
    "handed this over",
    "handed it to",
    "handed this to",
    "raised it with",
    "raised this with",
    # French, German, Spanish, Portuguese, Italian, Dutch
    "je vérifie",
    "je verifie",
    "je regarde",
    "je reviens vers vous",
    "je me renseigne",
    "un instant",
    "un moment",
    "ich prüfe",
    "ich pruefe",
    "ich schaue",
    "ich melde mich",
    "ich kläre",
    "einen moment",
    "lo reviso",
    "lo verifico",
    "déjame revisar",
    "dejame revisar",
    "déjame consultar",
    "te aviso",
    "le aviso",
    "vuelvo a escribir",
    "un momento",
    "vou verificar",
    "já volto",
    "verifico",
    "ti faccio sapere",
    "ik kijk",
    "ik zoek het uit",
)

#: Promises of later work that phrases cannot list: asking for time ("give me a few minutes", "give
#: us an hour"), or saying the problem is being reproduced first.
HOLDING_PATTERNS = (
    re.compile(
        r"\bgive (?:me|us) (?:a|an|one|two|a few|a couple of|some|\d+)?\s*(?:more )?"
        r"(?:sec|secs|second|seconds|min|mins|minute|minutes|moment|moments|hour|hours|bit|day|days|time)\b"
    ),
    re.compile(
        r"\b(?:try|trying|going|need) to reproduce\b"
        r"|\breproduc(?:e|ing) (?:it|this|that|the issue) (?:on our (?:side|end)|here|now|first)\b"
    ),
)

_SENTENCE_END = re.compile(r"(?<=[.!?？！。])\s+|\n+")
_QUESTION_MARKS = ("?", "？", "¿")


class ReplyKind(StrEnum):
    """What an agent's reply is; only ``ANSWER`` may become knowledge."""

    ANSWER = "answer"
    NOTE = "note"
    HOLDING = "holding"
    QUESTION = "question"
    SMALL_TALK = "small_talk"


def words_of(text: str) -> list[str]:
    """Lower-case words without mentions, emoji codes or punctuation."""
    text = _MENTION.sub(" ", text)
    text = _EMOJI_CODE.sub(" ", text)
    text = _NON_WORD.sub(" ", text.lower())
    return [word for word in _SPACES.split(text) if word and not word.isdigit()]


def is_small_talk(text: str) -> bool:
    """Thanks, greetings, acknowledgements and emoji-only messages: nothing to answer."""
    if any(mark in text for mark in _QUESTION_MARKS):
        return False
    words = words_of(text)
    if not words:
        return True
    return len(words) <= SMALL_TALK_MAX_WORDS and all(word in SMALL_TALK_WORDS for word in words)


def clean_reply(text: str) -> str:
    """A reply without the mentions it starts with ("<@U123> try this" -> "try this")."""
    return _LEADING_MENTIONS.sub("", text).strip()


def is_note(text: str) -> bool:
    """Whether a reply is an internal note (see the module docstring), whatever its formatting:
    its opening words, up to a separator, are at most three and one of them is a note word."""
    stripped = clean_reply(text).lower().lstrip("*_~`>| ")
    if stripped.startswith(_NOTE_SYMBOLS):
        return True
    separator = _NOTE_SEPARATORS.search(stripped, 1, NOTE_HEAD_MAX_CHARS)
    if separator is None:
        return False
    words = [word.rstrip("._") for word in _HEAD_WORD.findall(stripped[: separator.start()])]
    return 0 < len(words) <= NOTE_HEAD_MAX_WORDS and any(word in NOTE_WORDS for word in words)


def _is_holding(sentence: str) -> bool:
    lowered = " ".join(sentence.lower().replace("’", "'").split())
    return any(phrase in lowered for phrase in HOLDING_PHRASES) or any(
        pattern.search(lowered) for pattern in HOLDING_PATTERNS
    )


def _is_question(sentence: str) -> bool:
    return any(mark in sentence for mark in _QUESTION_MARKS)


def classify_reply(text: str) -> ReplyKind:
    """What an agent's reply in a customer thread is (see the module docstring)."""
    cleaned = clean_reply(text)
    if not cleaned or is_small_talk(cleaned):
        return ReplyKind.SMALL_TALK
    if is_note(cleaned):
        return ReplyKind.NOTE
    sentences = [s.strip() for s in _SENTENCE_END.split(cleaned) if s.strip()]
    holding = [s for s in sentences if _is_holding(s)]
    rest = [s for s in sentences if s not in holding and not is_small_talk(s)]
    if not rest:
        return ReplyKind.HOLDING if holding else ReplyKind.SMALL_TALK
    if all(_is_question(s) for s in rest):
        return ReplyKind.HOLDING if holding else ReplyKind.QUESTION
    if holding and len(holding) >= len(rest):
        return ReplyKind.HOLDING
    return ReplyKind.ANSWER


def is_teachable_reply(text: str) -> bool:
    """Whether an agent's reply may become a candidate answer (``classify_reply`` says ANSWER)."""
    return classify_reply(text) is ReplyKind.ANSWER
