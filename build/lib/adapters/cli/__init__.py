"""The `assistant` command line: the core's features for people at a terminal."""
