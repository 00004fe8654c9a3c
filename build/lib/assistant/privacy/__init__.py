"""Privacy: personal data kept out of learned knowledge and out of what is sent to an LLM."""
