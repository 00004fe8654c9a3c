"""support-assistant core: knowledge, retrieval, answering, learning and insights.

The core is pure: it knows nothing of Slack, Teams, HTTP, LLM vendors or databases. Adapters in
the top-level ``adapters`` package implement the protocols in :mod:`assistant.ports`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
