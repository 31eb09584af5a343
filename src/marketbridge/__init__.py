"""marketbridge: one API for the seller, many marketplaces behind it."""

__version__ = "0.1.0"
