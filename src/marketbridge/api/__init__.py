"""The HTTP side: the seller API (/api/v1), marketplace push receivers, health and metrics."""
