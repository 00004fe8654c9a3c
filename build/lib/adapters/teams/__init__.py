"""The Teams adapter: a Bot Framework bot (botbuilder-python, CloudAdapter) that answers in Teams
channels and 1:1 chats with Adaptive Cards, hands off to an internal channel and learns from
agents' card actions and thread replies.

botbuilder-python is archived upstream: every Bot Framework type stays inside this folder (an
import-linter contract keeps it so). ``TeamsBot`` is the bot; ``add_routes`` serves it on an aiohttp
app at ``/api/messages``; ``TeamsSettings`` / ``load_teams_settings`` configure it.
"""

from adapters.teams.bot import TeamsBot
from adapters.teams.constants import MESSAGES_PATH
from adapters.teams.server import add_routes
from adapters.teams.settings import TeamsSettings, load_teams_settings

__all__ = ["MESSAGES_PATH", "TeamsBot", "TeamsSettings", "add_routes", "load_teams_settings"]
