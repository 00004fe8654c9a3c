"""Redacts e-mail addresses, phone numbers, payment card and bank account numbers from text.

Applied to every text the assistant stores that a person wrote: a customer's question (before it
is stored, learned from or sent to an LLM), an agent's correction or taught answer, an imported
ticket, and the chat platforms' inbox bodies, so a resolution learned in one thread never carries
someone's card number to another. Card numbers are found whatever separates their digits
(spaces, ``-``, ``.``, ``/``, ``_``) and confirmed by their checksum; IBANs in any letter case
(a lower- or mixed-case one must pass the ISO 13616 check, since prose can look like one).
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
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])"
)
_CARD_SEPARATOR = r"[ \-./_]"
_CARD_CANDIDATE = re.compile(rf"(?<![\d\-./_])(?:\d{_CARD_SEPARATOR}?){{12,18}}\d(?![\d\-/_]|\.\d)")
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


def iban_valid(text: str) -> bool:
    """The ISO 13616 check: the IBAN, rearranged and read as a number, is 1 modulo 97."""
    compact = re.sub(r"\s", "", text).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    found = match.group(0)
    shaped = found[:2].isupper() and found == found.upper()  # as banks write them: always redacted
    return IBAN if shaped or iban_valid(found) else found


_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    if _DATE.fullmatch(found.strip()):
        return found
    digits = re.sub(r"\D", "", found)
    return PHONE if 7 <= len(digits) <= 15 else found


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, EMAIL),
    (_IBAN, _iban),
    (_ACCOUNT, lambda m: f"{m.group(1)}{m.group(2)}{ACCOUNT}"),
    (_CARD_CANDIDATE, _card),
    (_PHONE, _phone),
)


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders such as ``[email]``."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
