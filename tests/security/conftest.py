"""The security tests run against the same real hub on loopback as the seller API tests."""

from tests.api.conftest import api, client_a, fernet_key, marketplace, tenants

__all__ = ["api", "client_a", "fernet_key", "marketplace", "tenants"]
