"""Bad input to the push receivers: whatever arrives, no 5xx, and a rejected push writes nothing.

Hypothesis sends bytes, JSON of every shape, and near-misses of the marketplace's own
notification format to each push-capable marketplace's receiver of a running hub; foreign
pushes (wrong secret, wrong connection, wrong marketplace) are refused without a trace.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketbridge.app import create_app
from marketbridge.channels import registry
from marketbridge.channels.roles import PushHandler, has_role
from marketbridge.channels.spec import ChannelSpec
from marketbridge.runtime.serving import ThreadedServer
from marketbridge.runtime.settings import Settings
from marketbridge.store import accounts
from marketbridge.store.connections import create_connection
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub

pytestmark = pytest.mark.reliability


def _pushes(spec: ChannelSpec) -> bool:
    return has_role(spec.channel_class, PushHandler)


KINDS = sorted(k for k, spec in registry.load_all().items() if _pushes(spec))


def test_a_registered_marketplace_takes_pushes() -> None:
    """The tests below take one parameter per push-capable marketplace: with none, they would be
    reported as skipped; this makes an empty list a failure."""
    assert KINDS, "no registered channel plays PushHandler"


@dataclass
class Receiver:
    url: str
    db_file: Path
    paths: dict[str, str]  # kind -> /push/... path

    def inbox_rows(self) -> int:
        with sqlite3.connect(self.db_file) as conn:
            return int(conn.execute("SELECT count(*) FROM inbox").fetchone()[0])


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    db_file = tmp_path_factory.mktemp("push") / "hub.db"
    url = f"sqlite+aiosqlite:///{db_file}"
    box = SecretBox([Fernet.generate_key()])

    async def prepare() -> dict[str, str]:
        db = Database(url)
        await db.upgrade()
        paths = {}
        async with db.session() as s:
            account, _ = await accounts.create_account(s, "shop")
            for kind in KINDS:
                spec = registry.get(kind)
                row = await create_connection(
                    s,
                    box,
                    account_id=account.id,
                    kind=kind,
                    name=kind,
                    credentials={f: "secret-value" for f in spec.credential_fields},
                    base_urls={a: "http://127.0.0.1:9" for a in spec.host_aliases},
                )
                paths[kind] = f"/push/{kind}/{row.id}/{row.push_secret}"
        await db.dispose()
        return paths

    paths = asyncio.run(prepare())
    hub = Hub(settings=Settings(), db=Database(url), box=box)
    server = ThreadedServer(create_app(hub)).start()
    try:
        yield Receiver(server.url, db_file, paths)
    finally:
        server.stop()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=20,
)
near_misses = st.fixed_dictionaries(
    {"message_type": st.sampled_from(["TYPE_NEW_POSTING", "TYPE_STATE_CHANGED", "TYPE_PING", "", "TYPE_X"])},
    optional={
        "posting_number": st.one_of(st.text(max_size=40), st.integers(), st.none()),
        "new_state": st.text(max_size=30),
        "changed_state_date": st.text(max_size=40),
        "in_process_at": st.text(max_size=40),
        "seller_id": st.one_of(st.integers(), st.text(max_size=10)),
        "products": json_values,
        "time": st.text(max_size=40),
    },
)
bodies = st.one_of(
    st.binary(max_size=500),
    json_values.map(lambda v: json.dumps(v).encode()),
    near_misses.map(lambda v: json.dumps(v).encode()),
)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_no_push_body_causes_a_5xx_and_rejected_ones_write_nothing(
    receiver: Receiver, kind: str, body: bytes
) -> None:
    before = receiver.inbox_rows()
    answer = httpx.post(receiver.url + receiver.paths[kind], content=body, timeout=30)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert receiver.inbox_rows() == before


@pytest.mark.parametrize("kind", KINDS)
def test_foreign_pushes_are_refused_without_a_trace(receiver: Receiver, kind: str) -> None:
    good = receiver.paths[kind]
    _, _, _, conn_id, secret = good.split("/")
    other_kind = next((k for k in registry.load_all() if k != kind), "unknown")
    ping = json.dumps({"message_type": "TYPE_PING", "time": "2026-01-01T00:00:00Z"}).encode()
    before = receiver.inbox_rows()
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")  # never the secret itself
    for path in (
        f"/push/{kind}/{conn_id}/{wrong}",  # wrong secret
        f"/push/{kind}/{int(conn_id) + 999}/{secret}",  # unknown connection
        f"/push/{other_kind}/{conn_id}/{secret}",  # another marketplace's path
    ):
        answer = httpx.post(receiver.url + path, content=ping, timeout=30)
        assert answer.status_code == 404, (path, answer.status_code)
    assert receiver.inbox_rows() == before
