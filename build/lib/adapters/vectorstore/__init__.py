"""Vector stores behind the core's VectorStore protocol."""
