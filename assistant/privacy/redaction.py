"""Redacts e-mail addresses, phone numbers, payment card and bank account numbers from text.

Applied to a customer's question before it is stored, learned from or sent to an LLM, so a
resolution learned in one thread never carries someone's card number to another.
"""

from __future__ import annotations

import re
from collections.abc import Callable

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card number]"
IBAN = "[bank account]"
ACCOUNT = "[account number]"

_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}(?!\w)"
)
_ACCOUNT = re.compile(
    r"(?i)\b(account|acct|routing|sort code|iban|a/c)(\s*(?:number|no\.?|#)?\s*[:#]?\s*)(\d[\d -]{5,}\d)"
)


def luhn_valid(digits: str) -> bool:
    """The checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    if _DATE.fullmatch(found.strip()):
        return found
    digits = re.sub(r"\D", "", found)
    return PHONE if 7 <= len(digits) <= 15 else found


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, EMAIL),
    (_IBAN, IBAN),
    (_ACCOUNT, lambda m: f"{m.group(1)}{m.group(2)}{ACCOUNT}"),
    (_CARD_CANDIDATE, _card),
    (_PHONE, _phone),
)


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders such as ``[email]``."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
