"""Learning: how each signal changes knowledge, and how to undo it."""
