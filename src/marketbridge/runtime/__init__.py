"""Runtime machinery: settings, task queue, rate limiting, retries, logging, metrics."""
