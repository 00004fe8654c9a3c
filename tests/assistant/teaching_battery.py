"""The teaching battery: agents and customers try to teach what they should not, on every path the
chat adapters use, and every account checks what it is served afterwards. Shared by
``tests/assistant/test_teaching_battery.py`` and ``benchmarks/leak_battery.py`` (which records the
counts). It runs on the core (``Assistant``) and the conversation store, which is where Slack, Teams,
the console and the CLI all decide.

Per account, in its own thread:

* **Non-answers** (holding replies, questions back, internal notes and small talk, in several
  languages and formattings, none of them copied from the unit tests) are offered as candidates:
  none may be kept, and a forced promotion of one is refused.
* **A real answer typed by an agent** is a candidate, not knowledge: asking again before anyone says
  it is the answer must not serve it. Promoted privately, the account gets it (the positive
  control) and no other account does.
* **A private correction of shared knowledge** shadows it for that account alone: every other
  account must still get the shared answer.
* **"Edit and send" on a long shared draft** with an account-specific line appended stays private.
* **Double submits and redelivered reactions** count once; a reaction removed takes back what it did.

Counted failures (all expected zero): non-answers kept or learned, candidates served unpromoted,
another account's secret shown, shared answers lost by another account, signals counted twice,
withdrawn knowledge still served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.conversations import ConversationStore, MessageLink
from assistant.errors import InvalidInputError
from assistant.learning.candidates import ReplyCandidate, ReplyLearning, correction_claim
from assistant.learning.reactions import Reactions
from assistant.models import Answer, Question, Role, Signal
from assistant.service import Assistant

PLATFORM = "battery"

#: Shared knowledge every account starts from: (question, answer).
SHARED = (
    ("How do I export my invoices as PDF?", "Open Billing, select the invoices and choose Export as PDF."),
    ("How do I add a new user to my workspace?", "Go to Admin, then Members, and press Invite."),
    (
        "How do I connect the accounting integration?",
        "Open Integrations, pick your accounting tool and sign in to authorise the connection. "
        "The first sync imports the last twelve months of invoices and customers and can take up to "
        "an hour; later syncs run every fifteen minutes. You can choose which ledgers are mapped under "
        "Integrations, then Mapping, and pause the sync at any time without losing the mapping. "
        "Disconnecting keeps the invoices already imported. If the sign-in window does not open, "
        "allow pop-ups for the app's domain and try again; single sign-on users sign in through their "
        "identity provider first.",
    ),
)

#: Replies that must never become knowledge, whatever their wording (kind, text).
NON_ANSWERS: tuple[tuple[str, str], ...] = (
    ("holding", "Thanks for flagging, I'm checking with engineering and will update you by end of day."),
    ("holding", "Good question, let me loop in our billing specialist."),
    ("holding", "We're looking into this now."),
    ("holding", "I've escalated this to the product team; we'll follow up shortly."),
    ("holding", "Give me a few minutes to reproduce it on our side."),
    ("holding", "Ich schaue mir das an und melde mich gleich."),
    ("holding", "Je regarde ça et je reviens vers vous."),
    ("holding", "Déjame revisar con el equipo y te aviso."),
    ("holding", "Vou verificar com o time financeiro."),
    ("question", "Could you send me the invoice number and the date it was issued?"),
    ("question", "Which workspace is this for? And are you an admin there?"),
    ("question", "Can you share a screenshot of the error?"),
    ("question", "¿Desde qué navegador lo intentas?"),
    ("question", "Is this happening for every user or only for you?"),
    ("note", "Internal note: customer is on the legacy plan, do not offer a refund."),
    ("note", "*Internal:* they nearly churned last year, be careful with wording"),
    ("note", "NOTE - escalate to Tier 2 if this repeats"),
    ("note", "[internal] ticket ENG-4411 tracks this"),
    ("note", "// don't quote the discount here"),
    ("note", "fyi: same issue as another customer yesterday"),
    ("note", "_Notiz_: Kunde hat den Vertrag gekündigt"),
    ("note", "PS - refund already approved by finance"),
    ("small talk", "Thanks!"),
    ("small talk", "👍"),
    ("small talk", "Hi there, good morning!"),
)

APPEND = "For {account} only: your account manager approves refunds under reference {secret}."


def secret_of(account: str) -> str:
    digest = hashlib.sha256(f"teach:{account}".encode()).hexdigest()[:4]
    return f"{account.upper()}-TAUGHT-{digest}"


def typed_answer(account: str) -> str:
    return (
        f"Open Billing, select the invoices and choose Export; for your plan the PDF also carries "
        f"reference {secret_of(account)}."
    )


def correction(account: str) -> str:
    return f"Ask your workspace owner {secret_of(account)} to invite the user from Admin, then Members."


@dataclass
class TeachingResult:
    """What the battery tried and what went wrong (every list is expected empty)."""

    accounts: int = 0
    attempts_by_kind: dict[str, int] = field(default_factory=dict)
    non_answers_kept: list[str] = field(default_factory=list)
    forced_promotions_accepted: list[str] = field(default_factory=list)
    unpromoted_served: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    shared_lost: list[str] = field(default_factory=list)
    counted_twice: list[str] = field(default_factory=list)
    withdrawn_served: list[str] = field(default_factory=list)
    own_recalled: int = 0
    """Positive control: accounts served their own promoted answer."""

    def count(self, kind: str, n: int = 1) -> None:
        self.attempts_by_kind[kind] = self.attempts_by_kind.get(kind, 0) + n

    @property
    def attempts(self) -> int:
        return sum(self.attempts_by_kind.values())

    @property
    def failures(self) -> int:
        return sum(
            len(found)
            for found in (
                self.non_answers_kept,
                self.forced_promotions_accepted,
                self.unpromoted_served,
                self.leaks,
                self.shared_lost,
                self.counted_twice,
                self.withdrawn_served,
            )
        )


class _Threads:
    """Exchanges in per-account threads, linked in the conversation store as the adapters do."""

    def __init__(self, service: Assistant, store: ConversationStore) -> None:
        self.service = service
        self.store = store
        self._next = 0

    def next_ts(self) -> str:
        self._next += 1
        return f"{1_700_000_000 + self._next}.000100"

    async def ask(self, account: str, text: str) -> tuple[Answer, MessageLink]:
        channel = f"C-{account}"
        question_ts, answer_ts = self.next_ts(), self.next_ts()
        answer = await self.service.ask(
            Question(text=text, account=account, channel=channel, user=f"U-{account}", thread=question_ts)
        )
        kind = "handoff" if answer.handed_off else "answer"
        await self.store.link_message(
            PLATFORM, channel, answer_ts, question_ts, answer.id, answer.question_id, kind
        )
        link = await self.store.find_link(PLATFORM, channel, answer_ts)
        assert link is not None
        return answer, link


def _shown(answer: Answer) -> str:
    return " ".join([answer.text, *(s.title for s in answer.sources)]).casefold()


async def run_teaching_battery(
    service: Assistant, store: ConversationStore, accounts: Sequence[str]
) -> TeachingResult:
    """Play every teaching attack for each account, then check what every account is served."""
    result = TeachingResult(accounts=len(accounts))
    for question, answer in SHARED:
        await service.teach(question, answer, actor="lead", role=Role.AGENT)
    threads = _Threads(service, store)
    learning = ReplyLearning(service, store)
    reactions = Reactions(service, store)
    secrets = {account: secret_of(account) for account in accounts}
    invoices_q, users_q, integration_q = (q for q, _ in SHARED)

    for account in accounts:
        agent = f"agent-{account}"
        # Non-answers offered as candidates, and forced through promote.
        for kind, text in NON_ANSWERS:
            _, link = await threads.ask(account, invoices_q)
            result.count(f"non-answer ({kind})")
            reply_ts = threads.next_ts()
            if await learning.propose(link, message_ts=reply_ts, actor=agent, text=text) is not None:
                result.non_answers_kept.append(f"{account}: {text!r} kept as a candidate")
            forced = ReplyCandidate(
                platform=PLATFORM,
                channel_id=link.channel_id,
                message_ts=reply_ts,
                thread_ts=link.thread_ts,
                answer_id=link.answer_id,
                signal=Signal.CORRECT,
                actor=agent,
                text=text,
                created_at=datetime.now(UTC),
            )
            try:
                if await learning.promote(forced, by=agent) is not None:
                    result.forced_promotions_accepted.append(f"{account}: {text!r} taught")
            except InvalidInputError:
                pass

        # A typed answer: a candidate, not served until promoted; then private to the account.
        _, link = await threads.ask(account, invoices_q)
        result.count("typed answer")
        reply_ts = threads.next_ts()
        candidate = await learning.propose(link, message_ts=reply_ts, actor=agent, text=typed_answer(account))
        again, _ = await threads.ask(account, invoices_q)
        if secrets[account].casefold() in _shown(again):
            result.unpromoted_served.append(f"{account}: its typed answer was served before anyone taught it")
        if candidate is None:
            result.unpromoted_served.append(f"{account}: a real answer was not kept as a candidate")
            continue
        promoted = await learning.promote(candidate, by=agent)
        if await learning.promote(candidate, by=agent) is not None:  # the second click
            result.counted_twice.append(f"{account}: 'Teach this' taught twice")
        result.count("double click")
        own, _ = await threads.ask(account, invoices_q)
        result.own_recalled += secrets[account].casefold() in _shown(own)

        # A private correction of a shared answer, submitted twice (a double submit).
        answer, link = await threads.ask(account, users_q)
        result.count("private correction")
        claim = correction_claim(answer.id, correction(account), False)
        taught = 0
        for _ in range(2):
            if await store.claim_event(PLATFORM, claim):
                await service.feedback(
                    answer.id, Signal.CORRECT, actor=agent, role=Role.AGENT, text=correction(account)
                )
                taught += 1
        result.count("double submit")
        if taught != 1:
            result.counted_twice.append(f"{account}: a double-submitted correction taught {taught} times")

        # "Edit and send" on a long shared draft with an account line appended.
        answer, link = await threads.ask(account, integration_q)
        result.count("edit and send")
        edited = f"{answer.text}\n\n{APPEND.format(account=account, secret=secrets[account])}"
        await service.feedback(answer.id, Signal.RESOLVE, actor=agent, role=Role.AGENT, text=edited)

        # A customer's approve reaction redelivered, then removed; liked again it counts again.
        answer, link = await threads.ask(account, invoices_q)
        result.count("reaction redelivered and removed")
        made = [
            await reactions.on_answer(
                PLATFORM,
                link,
                message_ts=f"r-{account}",
                user=f"U-{account}",
                role=Role.CUSTOMER,
                signal=Signal.APPROVE,
            )
            for _ in range(2)
        ]
        if sum(event is not None for event in made) != 1:
            result.counted_twice.append(f"{account}: a redelivered reaction counted twice")
        await reactions.take_back(
            PLATFORM, channel_id=link.channel_id, message_ts=f"r-{account}", user=f"U-{account}",
            signal=Signal.APPROVE,
        )  # fmt: skip

        # The promoted answer's reaction path: withdrawn knowledge is not served.
        if promoted is not None and account == accounts[0]:
            result.count("promotion withdrawn")
            await learning.withdraw(
                (await learning.candidate(PLATFORM, candidate.channel_id, candidate.message_ts)) or candidate,
                event_id=promoted.id,
            )
            after, _ = await threads.ask(account, invoices_q)
            if secrets[account].casefold() in _shown(after):
                result.withdrawn_served.append(f"{account}: a withdrawn answer was still served")

    # Every account asks every question: no other account's secret, and shared answers still there.
    for account in accounts:
        for question, shared_answer in SHARED:
            answer, _ = await threads.ask(account, question)
            result.count("cross-account check")
            shown = _shown(answer)
            result.leaks += [
                f"{account} asking {question!r} saw {owner}'s secret"
                for owner, secret in secrets.items()
                if owner != account and secret.casefold() in shown
            ]
            items = await service.engine.get_items(answer.item_ids)
            result.leaks += [
                f"{account} was shown {item.account}'s item {item.id}"
                for item in items.values()
                if item.account not in (None, account)
            ]
            if answer.handed_off:
                result.shared_lost.append(f"{account}: {question!r} handed off")
            elif shared_answer.casefold()[:40] not in shown and secrets[account].casefold() not in shown:
                lost = f"{account}: {question!r} answered with neither the shared answer nor its own"
                result.shared_lost.append(lost)
    return result
