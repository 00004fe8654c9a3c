"""Replay: play a support history through the real pipeline and measure the learning."""
