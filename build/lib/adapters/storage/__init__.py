"""Durable storage behind the ``KnowledgeStore`` port, one subpackage per technology."""
