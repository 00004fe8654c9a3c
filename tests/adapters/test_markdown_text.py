"""Markdown answers for each surface (``adapters.markdown_text``): rendered, never literal, and never
a way to ping, disguise a link or inject markup."""

from __future__ import annotations

import pytest

from adapters.markdown_text import to_html, to_slack, to_teams

DOC = """## Refunds

To refund a **card payment**, open *Payments* and press `Refund`.
See [the guide](https://docs.example.com/refunds).

1. Open Payments
2. Pick the payment
   - partial refunds are fine
3. Press **Refund**

| Plan | Window |
|---|---|
| Pro | 30 days |

> Refunds take 5 days & more.

```
curl -X POST https://api.example.com/refunds
```
"""


def test_slack_gets_mrkdwn() -> None:
    shown = to_slack(DOC)
    assert shown.splitlines()[0] == "*Refunds*"
    assert "a *card payment*, open _Payments_ and press `Refund`." in shown
    assert "the guide (https://docs.example.com/refunds)" in shown
    assert "1. Open Payments\n2. Pick the payment\n    • partial refunds are fine\n3. Press *Refund*" in shown
    assert "*Plan* | *Window*\nPro | 30 days" in shown
    assert "> Refunds take 5 days &amp; more." in shown
    assert "```\ncurl -X POST https://api.example.com/refunds\n```" in shown
    assert "**" not in shown and "](" not in shown and "|---|" not in shown and "##" not in shown


def test_teams_gets_its_markdown_subset() -> None:
    shown = to_teams(DOC)
    assert shown.splitlines()[0] == "**Refunds**"
    assert "**card payment**" in shown and "_Payments_" in shown
    assert "**Plan** | **Window**\nPro | 30 days" in shown and "](" not in shown


@pytest.mark.parametrize("render", [to_slack, to_teams])
def test_nothing_pings_or_hides_a_link(render) -> None:  # type: ignore[no-untyped-def]
    shown = render(
        "Hi <!channel> <@U123>, [your invoice](https://evil.example/x) "
        "<https://evil.example|docs.example.com> [click](javascript:alert(1)) <b>raw</b>\u202e"
    )
    assert "<!channel>" not in shown and "<@U123>" not in shown and "<b>" not in shown
    assert "your invoice (https://evil.example/x)" in shown
    assert "docs.example.com (https://evil.example)" in shown
    assert "\u202e" not in shown
    assert "<javascript" not in shown  # Slack's link form
    if render is to_teams:
        assert "](javascript" not in shown  # the card's Markdown link form


def test_plain_text_stays_as_written() -> None:
    text = "Use the Forgot password link on the sign-in page.\nIt is valid for an hour."
    assert to_slack(text) == text
    assert to_teams(text) == text


def test_the_consoles_html_is_safe() -> None:
    html = to_html(
        "**Bold** [guide](https://docs.example.com) [x](javascript:alert(1)) <script>alert(1)</script>"
    )
    assert "<strong>Bold</strong>" in html and '<a href="https://docs.example.com">guide</a>' in html
    assert "<script>" not in html and 'href="javascript' not in html
