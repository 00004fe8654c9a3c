"""Adapters: the code that connects the pure core (``assistant``) to the outside world.

Each subpackage implements one port of ``assistant.ports`` for one technology and only
translates; no business rule lives here.
"""
