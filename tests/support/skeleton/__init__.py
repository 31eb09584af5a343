"""The skeleton marketplace: a minimal connector and its sandbox, the starting point of a new one.

Copy `connector.py` into `src/marketbridge/channels/<kind>/__init__.py` (or a package of
several modules) and `sandbox.py` into `src/marketbridge/sandbox/<kind>/__init__.py`, rename
"skeleton", and add the kind to both registries' PACKAGES. docs/adding-a-marketplace.md walks
through it. The pair lives under tests/ so that tests/channels/test_skeleton.py registers it
for one test run and puts it through the conformance suite's smoke level: it cannot rot.
Nothing here registers itself on import.
"""
