"""marketbridge: one API for the seller, many marketplaces behind it."""
