"""GitHub Issues and Jira Cloud trackers against local fakes that answer as the real APIs do.

Each test checks what was sent (method, path, JSON body, auth header) and how the client behaves
when the service refuses (rate limits), fails (5xx) or loses a reply. Sleeps are recorded, never
waited, so the rate-limit tests take no time.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator

import pytest

from adapters.integrations.github import GitHubIssues
from adapters.integrations.http import JsonHttp
from adapters.integrations.jira import JiraIssues, adf, adf_text, basic_auth
from assistant.errors import ConfigurationError
from assistant.integrations.tickets import TicketDraft, TrackerError
from tests.fakes.github_api import FakeGitHub
from tests.fakes.jira_api import FakeJira

DRAFT = TicketDraft(
    marker="support-assistant-bug_1",
    title="[Support] CSV export fails",
    body="**Reported 3 times**\n\n> Export to CSV fails with error 500",
    labels=("support-assistant",),
)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as fake:
        yield fake


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    async with FakeJira() as fake:
        yield fake


def github_client(
    fake: FakeGitHub, sleeps: Sleeps, *, token: str | None = None, timeout: float = 5.0
) -> JsonHttp:
    return JsonHttp(
        name="GitHub",
        base_url=fake.base_url,
        headers={
            "Authorization": f"Bearer {token or fake.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        sleep=sleeps,
        timeout=timeout,
        write_interval=1.0,
    )


def jira_client(fake: FakeJira, sleeps: Sleeps, *, timeout: float = 5.0) -> JsonHttp:
    return JsonHttp(
        name="Jira",
        base_url=fake.base_url,
        headers={"Authorization": basic_auth(fake.email, fake.token), "Accept": "application/json"},
        sleep=sleeps,
        timeout=timeout,
    )


# GitHub


async def test_github_create_sends_the_documented_request(github: FakeGitHub) -> None:
    http = github_client(github, Sleeps())
    tracker = GitHubIssues(http, github.repo)
    try:
        ticket = await tracker.create(DRAFT)
    finally:
        await http.close()
    assert (ticket.key, ticket.external_id) == ("#1", "1")
    assert ticket.url == "https://github.com/acme/product/issues/1"
    repo_check, create = github.requests
    assert (repo_check.method, repo_check.path) == ("GET", "/repos/acme/product")
    assert (create.method, create.path) == ("POST", "/repos/acme/product/issues")
    assert create.headers["Authorization"] == "Bearer ghp_test_token"
    assert create.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert create.body["title"] == DRAFT.title
    assert create.body["labels"] == ["support-assistant"]
    assert create.body["body"].startswith(DRAFT.body)
    assert create.body["body"].endswith("<!-- support-assistant-bug_1 -->")


async def test_github_refuses_a_public_repository(github: FakeGitHub) -> None:
    github.private = False
    http = github_client(github, Sleeps())
    try:
        with pytest.raises(ConfigurationError, match="public"):
            await GitHubIssues(http, github.repo).create(DRAFT)
        assert not github.issues
        await GitHubIssues(http, github.repo, allow_public=True).create(DRAFT)
    finally:
        await http.close()
    assert len(github.issues) == 1


async def test_github_lost_reply_is_not_retried_and_is_found_by_its_marker(github: FakeGitHub) -> None:
    http = github_client(github, Sleeps(), timeout=0.5)
    tracker = GitHubIssues(http, github.repo)
    github.fail_next("POST", "/issues", "lost_reply")
    try:
        with pytest.raises(TrackerError) as lost:
            await tracker.create(DRAFT)
        assert lost.value.maybe_sent
        assert len(github.calls("POST", "/issues")) == 1  # a write that may have landed is not resent
        found = await tracker.find(DRAFT.marker)
        assert await tracker.find("support-assistant-bug_other") is None
    finally:
        await http.close()
    assert found is not None and found.key == "#1"
    listing = github.calls("GET", "/repos/acme/product/issues")[0]
    assert listing.query == {"state": "all", "sort": "created", "direction": "desc", "per_page": "100"}


async def test_github_comments_and_finds_them_by_marker(github: FakeGitHub) -> None:
    http = github_client(github, Sleeps())
    tracker = GitHubIssues(http, github.repo)
    try:
        ticket = await tracker.create(DRAFT)
        await tracker.comment(ticket, "Reported again: now 5", "support-assistant-bug_1-count-5")
        assert await tracker.has_comment(ticket, "support-assistant-bug_1-count-5")
        assert not await tracker.has_comment(ticket, "support-assistant-bug_1-count-6")
    finally:
        await http.close()
    post = github.calls("POST", "/repos/acme/product/issues/1/comments")[0]
    assert post.body == {"body": "Reported again: now 5\n\n<!-- support-assistant-bug_1-count-5 -->"}
    assert post.headers["Authorization"] == "Bearer ghp_test_token"


async def test_github_status_reads_fixed_and_not_planned(github: FakeGitHub) -> None:
    http = github_client(github, Sleeps())
    tracker = GitHubIssues(http, github.repo)
    try:
        fixed = await tracker.create(DRAFT)
        dropped = await tracker.create(DRAFT)
        assert not (await tracker.status(fixed)).closed
        github.close(1, "completed", comment="Fixed in 4.2: exports over 10k rows are streamed.")
        github.close(2, "not_planned")
        done, wont = await tracker.status(fixed), await tracker.status(dropped)
    finally:
        await http.close()
    assert done.closed and done.fixed and done.resolution.startswith("Fixed in 4.2")
    assert wont.closed and not wont.fixed


async def test_github_secondary_rate_limit_waits_retry_after_then_succeeds(github: FakeGitHub) -> None:
    sleeps = Sleeps()
    http = github_client(github, sleeps)
    secondary = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes.",
        "documentation_url": "x",
    }
    github.fail_next(
        "POST", "/issues", "rate_limit", status=403, headers={"retry-after": "30"}, body=secondary
    )
    try:
        ticket = await GitHubIssues(http, github.repo).create(DRAFT)
    finally:
        await http.close()
    assert ticket.key == "#1" and len(github.issues) == 1
    assert 30.0 in sleeps.calls
    assert len(github.calls("POST", "/issues")) == 2


async def test_github_primary_rate_limit_waits_for_the_reset(github: FakeGitHub) -> None:
    sleeps = Sleeps()
    http = JsonHttp(
        name="GitHub",
        base_url=github.base_url,
        headers={"Authorization": f"Bearer {github.token}"},
        sleep=sleeps,
        clock=lambda: 1_000_000.0,
    )
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000040"}
    github.fail_next(
        "GET",
        "/issues/1",
        "rate_limit",
        status=403,
        headers=headers,
        body={"message": "API rate limit exceeded"},
    )
    try:
        tracker = GitHubIssues(http, github.repo, allow_public=True)
        ticket = await tracker.create(DRAFT)
        assert not (await tracker.status(ticket)).closed
    finally:
        await http.close()
    assert sleeps.calls == [41.0]


async def test_github_a_long_rate_limit_gives_up_with_when_to_retry(github: FakeGitHub) -> None:
    http = JsonHttp(
        name="GitHub",
        base_url=github.base_url,
        headers={"Authorization": f"Bearer {github.token}"},
        sleep=Sleeps(),
        max_wait=60,
    )
    github.fail_next("GET", "/repos/acme/product", "rate_limit", status=429, headers={"Retry-After": "3600"})
    try:
        with pytest.raises(TrackerError, match="retry in 3600 s"):
            await GitHubIssues(http, github.repo).check()
    finally:
        await http.close()


async def test_github_writes_are_spaced_and_reads_retried_on_5xx(github: FakeGitHub) -> None:
    sleeps = Sleeps()
    http = github_client(github, sleeps)
    tracker = GitHubIssues(http, github.repo)
    try:
        ticket = await tracker.create(DRAFT)
        await tracker.comment(ticket, "again", "m-2")
        assert sleeps.calls and 0 < sleeps.calls[-1] <= 1.0  # a second between content creations
        github.fail_next("GET", "/issues/1", "server_error")
        assert not (await tracker.status(ticket)).closed
        github.fail_next("POST", "/comments", "server_error")
        with pytest.raises(TrackerError) as failed:
            await tracker.comment(ticket, "again", "m-3")
    finally:
        await http.close()
    assert failed.value.maybe_sent and failed.value.status == 500
    assert len(github.calls("GET", "/issues/1")) == 2


async def test_github_bad_token_is_a_clear_error_without_the_token(github: FakeGitHub) -> None:
    http = github_client(github, Sleeps(), token="ghp_wrong_secret_value")
    try:
        with pytest.raises(TrackerError) as refused:
            await GitHubIssues(http, github.repo).check()
    finally:
        await http.close()
    assert "401" in refused.value.message and "Bad credentials" in refused.value.message
    assert "check the token" in refused.value.message
    assert "ghp_wrong_secret_value" not in refused.value.message


# Jira


async def test_jira_create_sends_fields_in_adf_with_basic_auth(jira: FakeJira) -> None:
    http = jira_client(jira, Sleeps())
    try:
        ticket = await JiraIssues(http, site=jira.base_url, project="SUP").create(DRAFT)
    finally:
        await http.close()
    assert ticket.key == "SUP-1" and ticket.url == f"{jira.base_url}/browse/SUP-1"
    create = jira.calls("POST", "/rest/api/3/issue")[0]
    expected = "Basic " + base64.b64encode(b"bot@acme.test:jira-token").decode()
    assert create.headers["Authorization"] == expected
    fields = create.body["fields"]
    assert fields["project"] == {"key": "SUP"}
    assert fields["issuetype"] == {"name": "Bug"}
    assert fields["summary"] == DRAFT.title
    assert fields["labels"] == ["support-assistant", "support-assistant-bug_1"]
    assert fields["description"]["type"] == "doc" and fields["description"]["version"] == 1
    assert "Export to CSV fails" in adf_text(fields["description"])


async def test_jira_unknown_issue_type_is_refused_with_its_reason(jira: FakeJira) -> None:
    http = jira_client(jira, Sleeps())
    try:
        with pytest.raises(TrackerError, match="issuetype: Specify a valid issue type"):
            await JiraIssues(http, site=jira.base_url, project="SUP", issue_type="Defect").create(DRAFT)
    finally:
        await http.close()


async def test_jira_lost_reply_is_found_by_jql_label(jira: FakeJira) -> None:
    http = jira_client(jira, Sleeps(), timeout=0.5)
    tracker = JiraIssues(http, site=jira.base_url, project="SUP")
    jira.fail_next("POST", "/rest/api/3/issue", "lost_reply")
    try:
        with pytest.raises(TrackerError) as lost:
            await tracker.create(DRAFT)
        found = await tracker.find(DRAFT.marker)
    finally:
        await http.close()
    assert lost.value.maybe_sent and len(jira.issues) == 1
    assert found is not None and found.key == "SUP-1"
    search = jira.calls("GET", "/rest/api/3/search/jql")[0]
    assert search.query["jql"] == 'project = "SUP" AND labels = "support-assistant-bug_1"'


async def test_jira_429_waits_retry_after(jira: FakeJira) -> None:
    sleeps = Sleeps()
    http = jira_client(jira, sleeps)
    jira.fail_next("POST", "/rest/api/3/issue", "rate_limit", status=429, headers={"Retry-After": "7"})
    try:
        await JiraIssues(http, site=jira.base_url, project="SUP").create(DRAFT)
    finally:
        await http.close()
    assert sleeps.calls == [7.0] and len(jira.issues) == 1


async def test_jira_comment_property_marks_it_and_status_reads_done(jira: FakeJira) -> None:
    http = jira_client(jira, Sleeps())
    tracker = JiraIssues(http, site=jira.base_url, project="SUP")
    try:
        ticket = await tracker.create(DRAFT)
        await tracker.comment(ticket, "Reported again: now 5", "support-assistant-bug_1-count-5")
        assert await tracker.has_comment(ticket, "support-assistant-bug_1-count-5")
        assert not (await tracker.status(ticket)).closed
        jira.resolve("SUP-1", "Done", comment="Fixed in release 4.2.")
        done = await tracker.status(ticket)
        jira.resolve("SUP-1", "Won't Do")
        wont = await tracker.status(ticket)
    finally:
        await http.close()
    post = jira.calls("POST", "/rest/api/3/issue/SUP-1/comment")[0]
    assert post.body["properties"] == [
        {"key": "support-assistant", "value": {"marker": "support-assistant-bug_1-count-5"}}
    ]
    assert post.body["body"] == adf("Reported again: now 5")
    assert done.closed and done.fixed and done.resolution == "Fixed in release 4.2."
    assert wont.closed and not wont.fixed


def test_adf_round_trip_keeps_paragraphs_and_lines() -> None:
    text = "first line\nsecond line\n\nnext paragraph"
    assert adf_text(adf(text)) == "first line\nsecond line\nnext paragraph\n"


async def test_tokens_never_reach_the_logs(
    github: FakeGitHub, jira: FakeJira, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sleeps = Sleeps()
    gh, jr = github_client(github, sleeps, timeout=0.5), jira_client(jira, sleeps, timeout=0.5)
    github.fail_next("POST", "/issues", "rate_limit", status=429, headers={"Retry-After": "1"})
    jira.fail_next("POST", "/rest/api/3/issue", "lost_reply")
    try:
        ticket = await GitHubIssues(gh, github.repo).create(DRAFT)
        await GitHubIssues(gh, github.repo).status(ticket)
        with pytest.raises(TrackerError):
            await JiraIssues(jr, site=jira.base_url, project="SUP").create(DRAFT)
    finally:
        await gh.close()
        await jr.close()
    logged = caplog.text
    assert "rate limit" in logged  # the test saw the client's logging
    for secret in (github.token, jira.token, basic_auth(jira.email, jira.token)):
        assert secret not in logged
