"""A long article is matched by its title too, as the question it answers, and answered with its
opening passage; a short one says no more than its title and gets no title item."""

from __future__ import annotations

from assistant.knowledge.ingestion import Ingestor
from assistant.knowledge.replay_format import KbArticle
from assistant.models import KnowledgeItem, Question
from assistant.service import Assistant

OPENING = (
    "Open Settings, then Team, and choose Export members. The export is a CSV file with one row per "
    "member: name, email, role and the date they joined. Owners and admins can export; other "
    "members see the button greyed out."
)
LONG = KbArticle(
    id="export-members",
    title="How do I download the list of people in my workspace?",
    body=OPENING
    + "\n\n"
    + "Large workspaces: the export is emailed to you when it has more than 5,000 rows. "
    + "The link in that email works for seven days. Guests are listed on a second sheet. " * 20,
    url=None,
    updated_at=None,
)
SHORT = KbArticle(id="refunds", title="Refunds", body="Refunds take 5 days.", url=None, updated_at=None)


async def _items(assistant: Assistant, article_id: str) -> list[KnowledgeItem]:
    document = await assistant.store.get_document_by_source(f"kb:{article_id}")
    assert document is not None
    return await assistant.store.active_items_for_document(document.id)


async def test_a_long_article_gets_one_title_item_answered_by_its_opening(assistant: Assistant) -> None:
    report = await Ingestor(assistant).ingest_articles([LONG, SHORT])

    items = await _items(assistant, LONG.id)
    titles = [item for item in items if item.is_title]
    passages = [item for item in items if not item.is_title]
    assert len(titles) == 1 and len(passages) >= 2
    assert titles[0].match_text == LONG.title
    assert titles[0].text == passages[0].text and titles[0].text.startswith("Open Settings")
    assert titles[0].resolution_key == LONG.id
    assert not any(item.is_title for item in await _items(assistant, SHORT.id))
    assert report.chunks == len(passages) + 1, "the report counts passages, not title items"


async def test_a_question_worded_like_the_title_finds_the_article_and_cites_it(assistant: Assistant) -> None:
    await Ingestor(assistant).ingest_articles([LONG, SHORT])

    answer = await assistant.ask(
        Question(text="how can I download the list of people in my workspace", account="acme")
    )

    assert answer.resolution_key == LONG.id
    assert answer.text.startswith("Open Settings")
    assert answer.features[1] > 0.9, "the title, not a long passage, is what the question matched"


async def test_a_changed_article_keeps_one_title_item(assistant: Assistant) -> None:
    await Ingestor(assistant).ingest_articles([LONG])
    renamed = KbArticle(
        id=LONG.id, title="Export the member list", body=LONG.body, url=None, updated_at=None
    )

    await Ingestor(assistant).ingest_articles([renamed])

    titles = [item for item in await _items(assistant, LONG.id) if item.is_title]
    assert [item.match_text for item in titles] == ["Export the member list"]
    live_titles = [item.match_text for item in assistant.engine.active_items() if item.is_title]
    assert live_titles == ["Export the member list"]


async def test_where_an_answer_came_from_is_judged_on_passages_not_titles(assistant: Assistant) -> None:
    await Ingestor(assistant).ingest_articles([LONG])
    vector = (await assistant.embedder.embed([LONG.title]))[0]

    nearest = await assistant.engine.documents_near(vector, LONG.title, "acme")

    assert nearest and nearest[0][0] == LONG.id
    assert nearest[0][1] < 0.95, "a reply that repeats the title is not where the answer came from"
