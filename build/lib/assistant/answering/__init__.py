"""Answering: which resolution fits a question, how sure we are, and the answer's text."""
