"""Benchmarks: each builds its world on loopback, measures, and returns one JSON-able dict."""
