"""Insights: the business-intelligence layer over the stored conversations.

Pure analyses of ``ConversationRecord`` lists (``records``): topics (``topics``), the message
classifier (``classifier``, ``training``), bugs (``bugs``), anomalies (``anomalies``), churn risk
(``churn``), feature-request themes (``requests``), knowledge gaps (``gaps``), learning health
(``learning_health``), and the digest that puts them together (``digest``). ``service`` is the
facade adapters call; ``publishing`` is the port digests leave through; every threshold is in
``settings``.
"""

from assistant.insights.records import ConversationRecord, InsightSource
from assistant.insights.service import InsightService
from assistant.insights.settings import InsightSettings, load_insight_settings

__all__ = [
    "ConversationRecord",
    "InsightService",
    "InsightSettings",
    "InsightSource",
    "load_insight_settings",
]
