"""What a question is asked in: the conversation so far and the account's profile.

A follow-up ("I followed that but there is no Recurring tab, what now?", "what about on the Pro
plan?") means little alone. The core passes the thread's earlier turns and the account's plan and
products along with it: retrieval searches with them (``retrieval_text``), an LLM answerer gets them
as delimited data (``lines``), never as instructions. Long threads are cut to a fixed budget
(``assistant.threads.summarise``) before they get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.accounts import AccountProfile

Speaker = Literal["customer", "assistant", "agent"]

#: How much of the earlier turns retrieval sees besides the new message (characters).
RETRIEVAL_CONTEXT_CHARS = 400


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of the conversation: who said it and what."""

    speaker: Speaker
    text: str


@dataclass(frozen=True, slots=True)
class ConversationContext:
    """The thread so far (oldest first; ``omitted`` messages left out to keep the budget) and the
    account's profile, when known."""

    turns: tuple[Turn, ...] = ()
    account: AccountProfile | None = None
    omitted: int = 0

    @property
    def empty(self) -> bool:
        return not self.turns and self.account is None

    def retrieval_text(self, text: str) -> str:
        """What retrieval searches with: the customer's earlier words, the new message and the
        account's plan (a follow-up rarely names its subject again; "is that on our plan?" needs
        the plan's name). The products stay out: a list of them would pull every search towards
        the same articles; the answerer gets them (``lines``)."""
        earlier = " ".join(t.text for t in self.turns if t.speaker == "customer")[-RETRIEVAL_CONTEXT_CHARS:]
        parts = [earlier, text]
        if self.account is not None and self.account.plan:
            parts.append(f"{self.account.plan} plan")
        return "\n".join(p for p in parts if p.strip())

    def lines(self) -> list[str]:
        """The context as plain lines of data, for an answerer that reads text."""
        lines: list[str] = []
        if self.account is not None:
            profile = self.account
            lines.append(f"account: {profile.display_name}")
            if profile.plan:
                lines.append(f"plan: {profile.plan}")
            if profile.products:
                lines.append(f"products: {', '.join(profile.products)}")
        if self.omitted:
            lines.append(f"({self.omitted} earlier messages left out)")
        lines.extend(f"{turn.speaker}: {turn.text}" for turn in self.turns)
        return lines
