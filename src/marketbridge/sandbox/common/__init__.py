"""Machinery every sandbox shares: fault injection, rate limits, pushes, documents, running."""
