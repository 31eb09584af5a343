"""The `marketbridge` command line: one module per group of commands."""

from __future__ import annotations

from marketbridge.cli.main import app, main

__all__ = ["app", "main"]
