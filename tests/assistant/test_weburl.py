"""Only http(s) links are kept for sources (issue 15, item 3): the rule and the models using it."""

from __future__ import annotations

import pytest

from assistant.models import Document, ItemKind, KnowledgeItem, SourceRef
from assistant.weburl import web_url


@pytest.mark.parametrize(
    "url",
    [
        "https://help.example.com/refunds",
        "http://help.example.com:8080/a?b=c#d",
        "  https://help.example.com/x  ",
    ],
)
def test_http_links_are_kept(url: str) -> None:
    assert web_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\u200bscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "https://",
        "https://evil.example/\u202ex",
        'https://evil.example/" onmouseover="alert(1)',
        "https://evil.example:99999/",
        "",
        None,
    ],
)
def test_anything_else_is_dropped(url: str | None) -> None:
    assert web_url(url) is None


def test_the_models_drop_a_script_link_when_built_or_loaded() -> None:
    bad = "javascript:alert(1)"
    item = KnowledgeItem(id="kn_1", kind=ItemKind.PASSAGE, text="t", resolution_key="k", source="s", url=bad)
    assert item.url is None
    assert Document(id="doc_1", source="s", title="t", content_hash="h", url=bad).url is None
    assert SourceRef(item_id="kn_1", title="t", url=bad, kind=ItemKind.PASSAGE).url is None
