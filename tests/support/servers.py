"""Real servers on loopback for tests (the implementation lives in marketbridge.runtime.serving)."""

from marketbridge.runtime.serving import ThreadedServer, free_port, serve_app

__all__ = ["ThreadedServer", "free_port", "serve_app"]
