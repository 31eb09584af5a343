"""Assembly-task metadata: WB takes it only for a task in a supply, and a supply whose tasks
miss their `requiredMeta` is not delivered; the connector adds to the supply first.

Each test fails on the sandbox as it was (it took marking codes for a `new` task, knew no
other metadata kind and delivered any supply with tasks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from marketbridge.channels.errors import ChannelError, RequestRejected
from marketbridge.channels.roles import PackBox, PackLine
from marketbridge.channels.wildberries import WildberriesChannel
from marketbridge.model import LineMeta
from tests.wildberries.harness import Sandbox, place, require_meta, seed_shop

ALL = ["sgtin", "uin", "imei", "gtin", "expiration"]
SGTIN = "010460043993125621JgXJ5.T"
UIN, IMEI, GTIN = "1234567890123456", "123456789012345", "4601234567890"
_FAILED_META = "Failed to update assembly order metadata. Make sure the assembly order meets all the necessary requirements."


def _later(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).strftime("%d.%m.%Y")


#: (path tail, a valid body) per kind
VALID: dict[str, dict[str, Any]] = {
    "sgtin": {"sgtins": [SGTIN]},
    "uin": {"uin": UIN},
    "imei": {"imei": IMEI},
    "gtin": {"gtin": GTIN},
    "expiration": {"expiration": _later(60)},
}


def _put(sandbox: Sandbox, task: str, kind: str, body: dict[str, Any]) -> Any:
    return sandbox.api("PUT", f"/api/v3/orders/{task}/meta/{kind}", json=body)


def _into_supply(sandbox: Sandbox, task: str) -> str:
    supply = str(sandbox.api("POST", "/api/v3/supplies", json={"name": "t"}).json()["id"])
    added = sandbox.api(
        "PATCH", f"/api/marketplace/v3/supplies/{supply}/orders", json={"orders": [int(task)]}
    )
    assert added.status_code == 204
    return supply


def test_new_tasks_list_the_metadata_their_card_requires(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    require_meta(sandbox, "MUG", ["uin", "expiration"])
    task = place(sandbox, "MUG")[0]
    new = sandbox.api("GET", "/api/v3/orders/new").json()["orders"]
    assert [o["requiredMeta"] for o in new if str(o["id"]) == task] == [["uin", "expiration"]]


@pytest.mark.parametrize("kind", ALL)
def test_metadata_is_refused_before_the_task_is_in_a_supply(sandbox: Sandbox, kind: str) -> None:
    seed_shop(sandbox)
    require_meta(sandbox, "MUG", ALL)
    task = place(sandbox, "MUG")[0]
    early = _put(sandbox, task, kind, VALID[kind])
    assert early.status_code == 409
    assert early.json() == {"code": "FailedToUpdateMeta", "message": _FAILED_META}
    _into_supply(sandbox, task)
    assert _put(sandbox, task, kind, VALID[kind]).status_code == 204
    given = sandbox.control("GET", "/orders")["items"]
    mine = next(o for o in given if o["id"] == task)
    assert (mine["sgtins"] if kind == "sgtin" else mine["meta"][kind]) == next(iter(VALID[kind].values()))


def test_marking_codes_only_for_a_task_that_takes_them(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    task = place(sandbox, "MUG")[0]  # MUG requires nothing
    _into_supply(sandbox, task)
    refused = _put(sandbox, task, "sgtin", VALID["sgtin"])
    assert (refused.status_code, refused.json()["code"]) == (409, "FailedToUpdateMeta")


@pytest.mark.parametrize(
    ("kind", "body", "code"),
    [
        ("uin", {"uin": UIN[:-1]}, "IncorrectRequestBody"),
        ("imei", {"imei": IMEI + "0"}, "IncorrectRequestBody"),
        ("gtin", {"gtin": 4601234567890}, "IncorrectRequestBody"),
        ("expiration", {"expiration": "2030-09-12"}, "IncorrectRequestBody"),
        ("expiration", {"expiration": _later(5)}, "LowExpirationDate"),
        ("sgtin", {"sgtins": ["short"]}, "IncorrectRequestBody"),
    ],
)
def test_malformed_metadata_is_a_400_in_wbs_shape(sandbox: Sandbox, kind: str, body: Any, code: str) -> None:
    seed_shop(sandbox)
    require_meta(sandbox, "MUG", ALL)
    task = place(sandbox, "MUG")[0]
    _into_supply(sandbox, task)
    answer = _put(sandbox, task, kind, body)
    assert answer.status_code == 400
    assert set(answer.json()) == {"code", "message"} and answer.json()["code"] == code


@pytest.mark.parametrize("kind", ["uin", "expiration"])
def test_a_supply_missing_required_metadata_is_not_delivered(sandbox: Sandbox, kind: str) -> None:
    seed_shop(sandbox)
    require_meta(sandbox, "MUG", ["uin", "expiration"])
    task = place(sandbox, "MUG")[0]
    supply = _into_supply(sandbox, task)
    other = "expiration" if kind == "uin" else "uin"
    assert _put(sandbox, task, other, VALID[other]).status_code == 204
    refused = sandbox.api("PATCH", f"/api/v3/supplies/{supply}/deliver")
    assert refused.status_code == 409 and refused.json()["code"] == "UinIsNotFilled"
    assert sandbox.api("GET", f"/api/v3/supplies/{supply}").json()["done"] is False
    assert _put(sandbox, task, kind, VALID[kind]).status_code == 204
    assert sandbox.api("PATCH", f"/api/v3/supplies/{supply}/deliver").status_code == 204


async def test_the_connector_adds_to_the_supply_before_sending_every_kind(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    seed_shop(sandbox)
    require_meta(sandbox, "MUG", ALL)
    task = place(sandbox, "MUG")[0]
    order = await channel.get_order(task)
    meta = LineMeta(uin=[UIN], imei=[IMEI], gtin=[GTIN], expiration=date.today() + timedelta(days=90))
    line = PackLine(order.lines[0].external_offer_id, 1, (SGTIN,), meta)
    await channel.pack(order, [PackBox(1, (line,))])
    writes = [
        (e["method"], e["path"], e["status"]) for e in sandbox.journal() if e["method"] in ("PUT", "PATCH")
    ]
    add = next(i for i, w in enumerate(writes) if w[1].endswith("/orders") and w[0] == "PATCH")
    metas = [i for i, w in enumerate(writes) if "/meta/" in w[1]]
    assert sorted(writes[i][1].rsplit("/", 1)[1] for i in metas) == sorted(ALL)
    assert all(i > add for i in metas) and all(writes[i][2] == 204 for i in metas)
    await channel.hand_over([task])
    mine = next(o for o in sandbox.control("GET", "/orders")["items"] if o["id"] == task)
    assert mine["status"].startswith("complete/") and mine["sgtins"] == [SGTIN]
    assert mine["meta"]["expiration"] == meta.expiration.strftime("%d.%m.%Y")  # type: ignore[union-attr]


async def test_the_connector_refuses_missing_metadata_before_any_call(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    seed_shop(sandbox)
    require_meta(sandbox, "MUG", ["sgtin", "imei"])
    task = place(sandbox, "MUG")[0]
    order = await channel.get_order(task)
    line = PackLine(order.lines[0].external_offer_id, 1, (SGTIN,))
    with pytest.raises(RequestRejected, match="imei"):
        await channel.pack(order, [PackBox(1, (line,))])
    assert not [
        e for e in sandbox.journal() if e["method"] in ("PUT", "PATCH") or e["path"] == "/api/v3/supplies"
    ]
    bad = PackLine(order.lines[0].external_offer_id, 1, (SGTIN,), LineMeta(imei=["12345"]))
    with pytest.raises(RequestRejected, match="15 characters"):
        await channel.pack(order, [PackBox(1, (bad,))])


async def test_a_409_costs_the_connector_ten_requests(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    seed_shop(sandbox)
    task = int(place(sandbox, "MUG")[0])
    limiter = channel.api.http.limiter
    key = f"{channel.api.http.key_prefix}:orders_cancel"
    await channel.cancel(str(task), "test")
    after_one = limiter._tat[key]  # type: ignore[attr-defined]
    with pytest.raises(ChannelError) as refused:
        await channel.cancel(str(task), "again")
    assert refused.value.status == 409
    step = 60 / (100 * 0.9)  # the connector's pace for this group, seconds per request
    assert limiter._tat[key] - after_one == pytest.approx(10 * step, rel=0.05)  # type: ignore[attr-defined]
