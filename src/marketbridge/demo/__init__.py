"""The demo shop and the world it runs in: sandboxes, a hub, a catalog, buyers."""
