"""Integrations that act: the core's side of bug tickets (and, later, CRM and helpdesk history).

Only ports (``typing.Protocol``) and decisions live here; the HTTP clients of GitHub, Jira and
the others are adapters (``adapters.integrations``).
"""
