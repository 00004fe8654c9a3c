"""The web console: a sandbox to try the assistant without Slack, and pages for support leads
(what was learned, with Undo; knowledge; charts; replays), served by the same aiohttp process.
"""

from adapters.console.app import console_app, mount_console
from adapters.console.settings import ConsoleSettings, load_console_settings

__all__ = ["ConsoleSettings", "console_app", "load_console_settings", "mount_console"]
