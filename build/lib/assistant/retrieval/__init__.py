"""Retrieval: lexical scoring, the in-process hybrid index, and ranking of candidate resolutions."""
