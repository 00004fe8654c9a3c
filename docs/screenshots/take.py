"""Retake the README's screenshots of the console: run `make demo` (or `python -m
adapters.console.demo --port 8080`) in one terminal, then `.venv/bin/python docs/screenshots/take.py
[URL] [REPLAY_SET]`. It plays the sample conversation (samples/demo_script.json) in the sandbox
with Chromium (/usr/bin/chromium), runs a short replay, and saves PNGs beside this file.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from playwright.async_api import Page, async_playwright

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[1] / "samples" / "demo_script.json"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


async def ask(page: Page, base: str, account: str, text: str) -> None:
    await page.goto(f"{base}/sandbox?account={account}")
    await page.fill("#question", text)
    await page.click("#ask")
    await page.wait_for_load_state("load")


async def play(page: Page, base: str) -> None:
    for step in json.loads(SCRIPT.read_text(encoding="utf-8")):
        card = page.locator("#agent-messages article").first
        if ask_step := step.get("ask"):
            await ask(page, base, ask_step["account"], ask_step["text"])
        elif step.get("approve"):
            await card.locator("button:has-text('Approve'), button:has-text('Send draft')").first.click()
            await page.wait_for_load_state("load")
        elif teach := step.get("teach"):
            await page.goto(f"{base}/sandbox?account={teach['account']}")
            await page.click("details.teach summary")
            await page.fill("#teach-form input[name=question]", teach["question"])
            await page.fill("#teach-form textarea[name=answer]", teach["answer"])
            if teach.get("private"):
                await page.check("#teach-form input[name=private]")
            await page.click("#teach-form button")
            await page.wait_for_load_state("load")
        elif correct := step.get("correct"):
            await card.locator("textarea[name=text]").fill(correct["text"])
            scope = "everyone" if correct.get("scope") == "everyone" else "account"
            await card.locator(f"input[value={scope}]").check()
            await card.locator("form.correct button").click()
            await page.wait_for_load_state("load")


async def main(base: str, replay_set: str) -> None:
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 1360, "height": 860})
        await play(page, base)
        await ask(page, base, "acme", "Is it possible to send crypto payments to our suppliers?")
        await page.screenshot(path=str(HERE / "sandbox.png"))
        await page.goto(f"{base}/learning")
        await page.screenshot(path=str(HERE / "learning.png"))
        await page.goto(f"{base}/knowledge")
        await page.screenshot(path=str(HERE / "knowledge.png"))
        await page.goto(f"{base}/charts")  # starts computing the insights
        await page.wait_for_timeout(8000)
        await page.goto(f"{base}/charts")
        await page.screenshot(path=str(HERE / "charts.png"), full_page=True)
        await page.goto(f"{base}/replay")
        await page.select_option("select[name=set]", replay_set)
        await page.fill("input[name=limit]", "240")
        await page.click("#replay-form button[type=submit]")
        await page.wait_for_selector("#replay-chart img", timeout=600_000)
        await page.wait_for_timeout(500)
        await page.screenshot(path=str(HERE / "replay.png"), full_page=True)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/console",
                     sys.argv[2] if len(sys.argv) > 2 else "stackfaq"))
