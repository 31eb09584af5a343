"""Deployment: the built wheel, the example units and compose file, the scripted cluster."""
