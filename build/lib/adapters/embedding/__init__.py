"""Embedders behind the core's Embedder protocol."""
