"""Redaction of personal data: the obvious cases, and properties over generated text."""

from hypothesis import given
from hypothesis import strategies as st

from assistant.privacy.redaction import CARD, EMAIL, PHONE, luhn_valid, redact


def test_emails_phones_cards_and_accounts_are_replaced() -> None:
    text = (
        "I'm jane.doe@acme.example, call +1 (415) 555-0132; card 4242 4242 4242 4242 was charged twice, "
        "IBAN DE89 3704 0044 0532 0130 00 and account number 12345678."
    )
    redacted = redact(text)
    for secret in ("jane.doe", "555-0132", "4242 4242", "DE89", "12345678"):
        assert secret not in redacted
    assert EMAIL in redacted and PHONE in redacted and CARD in redacted


def test_ordinary_numbers_are_left_alone() -> None:
    text = "Invoice INV-2291 for $1,250.00 is due in 30 days; error LL-4012 on 2026-05-03 at 14:05."
    assert redact(text) == text


def test_a_sixteen_digit_number_failing_luhn_is_not_a_card() -> None:
    assert not luhn_valid("1234567812345678")
    assert CARD not in redact("order 1234 5678 1234 5678")


@given(st.text(max_size=300))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@given(st.emails())
def test_any_email_is_removed(email: str) -> None:
    redacted = redact(f"contact me at {email} please")
    assert email not in redacted


# Issue 15: what escaped redaction.
import pytest  # noqa: E402

from assistant.privacy.redaction import IBAN, iban_valid  # noqa: E402


@pytest.mark.parametrize(
    "card",
    [
        "4111.1111.1111.1111",
        "4111/1111/1111/1111",
        "4111_1111_1111_1111",
        "4111-1111.1111/1111",
        "5555 5555 5555 4444",
        "4111111111111111",
    ],
)
def test_card_numbers_with_any_separator_are_redacted(card: str) -> None:
    redacted = redact(f"my card {card} was charged twice.")
    assert redacted == f"my card {CARD} was charged twice."


@pytest.mark.parametrize(
    "iban",
    [
        "de89 3704 0044 0532 0130 00",
        "de89370400440532013000",
        "gb82 west 1234 5698 7654 32",
        "Gb82West12345698765432",
    ],
)
def test_lower_and_mixed_case_ibans_are_redacted(iban: str) -> None:
    assert redact(f"pay to {iban} please") == f"pay to {IBAN} please"


def test_prose_shaped_like_an_iban_is_not() -> None:
    assert not iban_valid("ab12 with some text here")
    text = "ab12 with some text here and version 1.2.3.4 from 2026/05/03"
    assert redact(text) == text
