"""The console in a real browser: Debian's Chromium driven by Playwright, on the console served on
loopback (port 0). Playwright never downloads a browser here: it launches /usr/bin/chromium.

Without Chromium (or the playwright package) these tests skip and say why. With
``ASSISTANT_SCREENSHOTS_DIR`` set, the pages are saved there as PNGs (docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.console.conftest import ALL_TOKEN, Console

CHROMIUM = Path(os.environ.get("ASSISTANT_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = os.environ.get("ASSISTANT_SCREENSHOTS_DIR")

pytestmark = pytest.mark.slow


def _missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists() and not shutil.which(str(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture
async def page(console: Console) -> AsyncIterator[Any]:
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = await browser.new_context(viewport={"width": 1360, "height": 900})
        tab = await context.new_page()
        tab.set_default_timeout(30_000)
        try:
            yield tab
        finally:
            await context.close()
            await browser.close()


async def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


async def sign_in(page: Any, console: Console, token: str = ALL_TOKEN) -> None:
    await page.goto(f"{console.url}/")
    await page.fill("#token", token)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/sandbox**")


async def ask(page: Any, account: str, text: str) -> None:
    await page.select_option("#account-pick", account)
    await page.wait_for_url(f"**account={account}**")
    await page.fill("#question", text)
    await page.click("#ask")
    await page.wait_for_load_state("load")


async def test_the_login_refuses_a_wrong_token(page: Any, console: Console) -> None:
    await page.goto(f"{console.url}/charts")
    assert page.url.endswith("/console/login")
    await shot(page, "login")
    await page.fill("#token", "wrong-token-123")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#refused")
    assert "That token is not valid." in await page.inner_text("#refused")
    assert await page.locator("nav").count() == 0
    await sign_in(page, console)
    assert await page.locator("nav >> text=Learning").count() == 1


async def test_teach_in_the_sandbox_and_ask_again(page: Any, console: Console) -> None:
    await sign_in(page, console)
    await ask(page, "acme", "How do I set up a recurring invoice that goes out every month?")
    answered = page.locator("#agent-messages article").first
    await answered.locator("text=Sent to the customer").wait_for()
    await answered.locator("button:has-text('Approve')").click()
    await page.wait_for_selector(".flash.note")

    await ask(page, "acme", "Can we pay our suppliers in crypto?")
    handoff = page.locator("#agent-messages article").first
    assert "hand-off" in await handoff.locator(".pill").inner_text()
    await handoff.locator('button:has-text("I\'ll take it")').click()
    await page.wait_for_selector("text=took the hand-off")
    handoff = page.locator("#agent-messages article").first
    await handoff.locator("textarea[name=text]").fill(
        "No. Lumen Ledger is built for accounts receivable, so it can't pay suppliers, and it "
        "doesn't support cryptocurrency."
    )
    await handoff.locator("input[value=everyone]").check()
    await handoff.locator("button:has-text('Send and teach')").click()
    await page.wait_for_selector("#customer-messages .msg.agent")

    await ask(page, "globex", "Could we pay our suppliers with cryptocurrency?")
    thread = page.locator("#customer-messages article").last
    await thread.locator(".msg.assistant").wait_for()
    text = await thread.inner_text()
    assert "accounts receivable" in text and "learned" in text
    assert "confidence" in text
    await shot(page, "sandbox")


async def test_undo_on_the_learning_page(page: Any, console: Console) -> None:
    await sign_in(page, console)
    await ask(page, "acme", "How do I set up a recurring invoice that goes out every month?")
    await page.locator("#agent-messages article").first.locator("button:has-text('Reject')").click()
    await page.wait_for_selector(".flash.note")
    await page.click("nav >> text=Learning")
    row = page.locator("#events tbody tr").first
    assert "reject" in await row.inner_text()
    await shot(page, "learning")
    await row.locator("button:has-text('Undo')").click()
    await page.wait_for_selector("text=Undone")
    row = page.locator("#events tbody tr").first
    assert "undone" in (await row.get_attribute("class") or "")
    assert await row.locator("button:has-text('Undo')").count() == 0


async def test_the_charts_page_draws_its_pictures(page: Any, console: Console) -> None:
    await sign_in(page, console)
    for question in ("How do refunds work?", "Can we pay our suppliers in crypto?"):
        await ask(page, "acme", question)
    await page.click("nav >> text=Charts")
    curve = page.locator("#learning-curve svg")
    await curve.wait_for()
    box = await curve.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert await page.locator("#workload svg").count() == 1
    assert await page.locator("#insights-unavailable, #topics").count() >= 1
    await shot(page, "charts")
