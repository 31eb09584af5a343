"""The use-cases: catalog, stocks, prices, orders, fulfilment, returns, and what runs when.

Marketplace-agnostic: channels are reached only through the Channel protocol.
"""
