"""What the bot does with each kind of Teams traffic: messages (questions, agents' replies) and
card actions (``Action.Execute`` invokes and ``Action.Submit`` messages, one registry of verbs)."""
