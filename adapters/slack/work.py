"""The Slack app's background work: ``adapters.work.BackgroundWork``, shared with Teams."""

from adapters.work import BackgroundWork

__all__ = ["BackgroundWork"]
