"""Marketplace connectors, one package each, behind the Channel protocol in base.py."""
