"""The Slack adapter: a Bolt (async) app that answers in customer channels, hands off to agents
and learns from their reactions, replies, buttons, shortcut and ``/assistant`` command.

``SlackApp`` is the app; ``web_app`` its aiohttp server; ``serve`` runs it (``assistant serve``).
"""

from adapters.slack.app import SlackApp, build_client
from adapters.slack.server import serve, web_app
from adapters.slack.settings import SlackSettings, load_slack_settings

__all__ = ["SlackApp", "SlackSettings", "build_client", "load_slack_settings", "serve", "web_app"]
