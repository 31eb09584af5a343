"""The unified order status machine: every allowed and every forbidden transition."""

from __future__ import annotations

import itertools

import pytest

from marketbridge.model import OrderStatus, StatusTransitionError, can_transition, check_transition

S = OrderStatus
ALLOWED = {
    (S.NEW, S.CONFIRMED),
    (S.NEW, S.PACKED),
    (S.NEW, S.SHIPPED),
    (S.NEW, S.DELIVERED),
    (S.NEW, S.CANCELLED),
    (S.CONFIRMED, S.PACKED),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.DELIVERED),
    (S.CONFIRMED, S.CANCELLED),
    (S.PACKED, S.SHIPPED),
    (S.PACKED, S.DELIVERED),
    (S.PACKED, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.CANCELLED),
    (S.SHIPPED, S.RETURNED),
    (S.DELIVERED, S.RETURNED),
}
ALL_PAIRS = list(itertools.product(S, S))


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed(current: OrderStatus, target: OrderStatus) -> None:
    assert can_transition(current, target)
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_forbidden(current: OrderStatus, target: OrderStatus) -> None:
    assert not can_transition(current, target)
    with pytest.raises(StatusTransitionError):
        check_transition(current, target)


def test_final_statuses_have_no_way_out_but_return() -> None:
    for status in (S.CANCELLED, S.RETURNED):
        assert status.final
        assert not any(can_transition(status, t) for t in S)
    assert [t for t in S if can_transition(S.DELIVERED, t)] == [S.RETURNED]


def test_only_open_orders_hold_stock() -> None:
    assert {s for s in S if s.holds_stock} == {S.NEW, S.CONFIRMED, S.PACKED}
