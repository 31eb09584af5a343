"""The seller API's routers, one module per area; `api.app` mounts them under /api/v1."""
