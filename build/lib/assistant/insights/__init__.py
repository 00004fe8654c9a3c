"""Insights: the business-intelligence layer over the stored conversations.

Pure analyses of ``ConversationRecord`` lists (``records``): topics (``topics``), the message
classifier (``classifier``, ``training``), bugs (``bugs``), anomalies (``anomalies``), churn risk
(``churn``), feature-request themes (``requests``), knowledge gaps (``gaps``), learning health
(``learning_health``), and the digest that puts them together (``digest``). ``service`` is the
facade adapters call; ``publishing`` is the port digests leave through; every threshold is in
``settings``.

The package itself imports nothing: importing one light module (``records`` for its enums) must not
pull in the numeric stack the analyses need.
"""

__all__ = [
    "ConversationRecord",
    "InsightService",
    "InsightSettings",
    "InsightSource",
    "load_insight_settings",
]
