"""The official Wildberries OpenAPI files the contract tests check against (specs/wildberries).

The files are read by tests/support/openapi.py as they are: Wildberries needs no quirks.
"""

from __future__ import annotations

from tests.support.openapi import OpenAPI

#: The sections the sandbox serves: general (auth, ping), products, FBS orders, communications.
SPEC = OpenAPI(
    (
        "wildberries/01-general.yaml",
        "wildberries/02-products.yaml",
        "wildberries/03-orders-fbs.yaml",
        "wildberries/09-communications.yaml",
    )
)
