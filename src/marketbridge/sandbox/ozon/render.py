"""JSON shapes of the sandbox's objects, as the Seller API methods return them.

Postings come in two dialects: v3 (`products[].price` a string, `currency_code` beside it)
and v4 (`products[].price` an object `{amount, currency}`), so the older list methods and
the newer cursor ones each answer in their own version's shape.
"""

from __future__ import annotations

from typing import Any

from marketbridge.sandbox.ozon.state import (
    Posting,
    Product,
    ReturnItem,
    ShopState,
    Warehouse,
    iso,
    money_text,
)

#: Ozon's status -> the status of the push model it is announced with.
PUSH_STATE = {
    "awaiting_registration": "posting_awaiting_registration",
    "acceptance_in_progress": "posting_acceptance_in_progress",
    "awaiting_approve": "posting_created",
    "awaiting_packaging": "posting_created",
    "awaiting_deliver": "posting_transferring_to_delivery",
    "arbitration": "posting_in_arbitration",
    "client_arbitration": "posting_in_client_arbitration",
    "delivering": "posting_on_way_to_city",
    "driver_pickup": "posting_driver_pick_up",
    "delivered": "posting_delivered",
    "cancelled": "posting_canceled",
    "not_accepted": "posting_not_in_sort_center",
    "sent_by_seller": "posting_sent_by_seller",
}

_ACTIONS = {
    "awaiting_packaging": ["cancel", "ship", "product_cancel"],
    "awaiting_deliver": ["cancel", "label_download", "label_download_small", "has_barcode_for_printing"],
}


def warehouse_json(w: Warehouse) -> dict[str, Any]:
    return {
        "warehouse_id": w.warehouse_id,
        "name": w.name,
        "is_rfbs": w.is_rfbs,
        "has_entrusted_acceptance": False,
        "can_print_act_in_advance": True,
        "first_mile_type": {
            "dropoff_point_id": "",
            "dropoff_timeslot_id": 0,
            "first_mile_is_changing": False,
            "first_mile_type": "Pickup",
        },
        "has_postings_limit": False,
        "is_karantin": False,
        "is_kgt": False,
        "is_economy": False,
        "is_timetable_editable": True,
        "min_postings_limit": 0,
        "postings_limit": -1,
        "min_working_days": 5,
        "status": w.status,
        "working_days": ["1", "2", "3", "4", "5"],
    }


def delivery_method_json(p: Posting, state: ShopState) -> dict[str, Any]:
    w = state.warehouses.get(p.warehouse_id)
    name = w.name if w else str(p.warehouse_id)
    return {
        "id": p.delivery_method_id,
        "name": f"Доставка Ozon самостоятельно, {name}",
        "warehouse_id": p.warehouse_id,
        "warehouse": name,
        "tpl_provider_id": 24,
        "tpl_provider": "Доставка Ozon",
    }


def _requirements(p: Posting) -> dict[str, Any]:
    marked = sorted({str(line.sku) for line in p.lines if line.requires_marking})
    return {
        "products_requiring_change_country": [],
        "products_requiring_country": [],
        "products_requiring_gtd": [],
        "products_requiring_jw_uin": [],
        "products_requiring_mandatory_mark": marked,
        "products_requiring_rnpt": [],
    }


def _products_json(p: Posting, version: int) -> list[dict[str, Any]]:
    if version >= 4:
        return [
            {
                "name": line.name,
                "offer_id": line.offer_id,
                "price": {"amount": money_text(line.price), "currency": "RUB"},
                "quantity": line.quantity,
                "sku": line.sku,
                "imei": [],
                "is_blr_traceable": False,
                "is_marketplace_buyout": False,
            }
            for line in p.lines
        ]
    return [
        {
            "name": line.name,
            "offer_id": line.offer_id,
            "price": money_text(line.price),
            "currency_code": "RUB",
            "quantity": line.quantity,
            "sku": line.sku,
            "is_blr_traceable": False,
            "is_marketplace_buyout": False,
        }
        for line in p.lines
    ]


def _cancellation_json(p: Posting) -> dict[str, Any]:
    return {
        "cancel_reason_id": p.cancel_reason_id,
        "cancel_reason": p.cancel_reason,
        "cancellation_type": "seller" if p.cancellation_initiator == "Продавец" else "",
        "cancelled_after_ship": p.cancelled_after_ship,
        "affect_cancellation_rating": p.cancellation_initiator == "Продавец",
        "cancellation_initiator": p.cancellation_initiator,
    }


def _analytics_json(p: Posting, state: ShopState) -> dict[str, Any]:
    return {
        "city": p.buyer_city,
        "region": p.buyer_city,
        "delivery_type": "PVZ",
        "is_premium": False,
        "payment_type_group_name": "Карты оплаты",
        "warehouse_id": p.warehouse_id,
        "warehouse": state.warehouses[p.warehouse_id].name if p.warehouse_id in state.warehouses else "",
        "tpl_provider_id": 24,
        "tpl_provider": "Доставка Ozon",
        "is_legal": False,
    }


def _tariffication_json(p: Posting, version: int) -> dict[str, Any]:
    if version >= 4:
        zero = {"amount": "0", "currency": "RUB"}
        return {
            "current_tariff_rate": 0,
            "current_tariff_type": "",
            "current_tariff_charge": zero,
            "next_tariff_rate": 0,
            "next_tariff_type": "",
            "next_tariff_charge": zero,
            "next_tariff_starts_at": iso(p.shipment_date),
        }
    # one object in the lists of the current API (the 2025 swagger still shows an array)
    return {
        "current_tariff_rate": 0,
        "current_tariff_type": "",
        "current_tariff_charge": "0",
        "current_tariff_charge_currency_code": "RUB",
        "next_tariff_rate": 0,
        "next_tariff_type": "",
        "next_tariff_charge": "0",
        "next_tariff_starts_at": iso(p.shipment_date),
        "next_tariff_charge_currency_code": "RUB",
    }


def posting_json(p: Posting, state: ShopState, version: int = 3) -> dict[str, Any]:
    """One posting in the shape of /v3/posting/fbs/list (version 3) or /v4 (version 4)."""
    out: dict[str, Any] = {
        "posting_number": p.posting_number,
        "order_id": p.order_id,
        "order_number": p.order_number,
        "parent_posting_number": p.parent_posting_number,
        "status": p.status,
        "substatus": p.substatus,
        "tpl_integration_type": "ozon",
        "tracking_number": p.tracking_number,
        "in_process_at": iso(p.in_process_at),
        "shipment_date": iso(p.shipment_date),
        "delivery_method": delivery_method_json(p, state),
        "cancellation": _cancellation_json(p),
        "products": _products_json(p, version),
        "analytics_data": _analytics_json(p, state),
        "barcodes": {"upper_barcode": f"%{p.seq:09d}%", "lower_barcode": f"{p.seq:015d}"},
        "is_express": False,
        "is_multibox": False,
        "multi_box_qty": 1,
        "requirements": _requirements(p),
        "optional": {"products_with_possible_mandatory_mark": []},
        "available_actions": _ACTIONS.get(p.status, []),
        "prr_option": "",
        "quantum_id": 0,
    }
    out["delivering_date"] = iso(p.delivering_date)
    out["shipment_date_without_delay"] = iso(p.shipment_date)
    if version >= 4:
        out["delivery_schema"] = "fbs"
        out["integration_type_flow"] = "ozon"
    out["tariffication"] = _tariffication_json(p, version)
    return out


def _statuses_json(product: Product) -> dict[str, Any]:
    return {
        "status": product.status,
        "status_name": "Продаётся" if product.status == "price_sent" else "Не продаётся",
        "status_description": "",
        "status_failed": "" if product.status != "failed" else "failed_moderation",
        "moderate_status": {"price_sent": "approved", "moderating": "moderating"}.get(
            product.status, "declined"
        ),
        "status_tooltip": "",
        "status_updated_at": iso(product.updated_at),
        "is_created": product.status == "price_sent",
    }


def product_info_json(product: Product, state: ShopState) -> dict[str, Any]:
    """One item of /v3/product/info/list."""
    present = sum(product.stocks.values())
    reserved = sum(product.reserved.values())
    return {
        "id": product.product_id,
        "offer_id": product.offer_id,
        "name": product.name,
        "sku": product.sku,
        "barcodes": list(product.barcodes),
        "description_category_id": product.description_category_id,
        "type_id": product.type_id,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "currency_code": product.currency_code,
        "price": money_text(product.price),
        "old_price": money_text(product.old_price),
        "min_price": money_text(product.min_price),
        "marketing_price": "",
        "vat": "0.2",
        "is_archived": product.archived,
        "is_autoarchived": False,
        "is_discounted": False,
        "is_kgt": False,
        "is_prepayment_allowed": True,
        "is_super": False,
        "has_discounted_fbo_item": False,
        "discounted_fbo_stocks": 0,
        "images": [],
        "images360": [],
        "color_image": [],
        "primary_image": [],
        "errors": product.errors,
        "model_info": {"model_id": product.product_id, "count": 1},
        "promotions": [],
        "sources": [
            {
                "sku": product.sku,
                "source": "sds",
                "created_at": iso(product.created_at),
                "shipment_type": "SHIPMENT_TYPE_GENERAL",
                "quant_code": "",
            }
        ],
        "statuses": _statuses_json(product),
        "stocks": {
            "has_stock": present - reserved > 0,
            "stocks": [{"present": present, "reserved": reserved, "sku": product.sku, "source": "fbs"}],
        },
        "visibility_details": {"has_price": True, "has_stock": present - reserved > 0},
        "volume_weight": 0.1,
    }


def return_json(r: ReturnItem) -> dict[str, Any]:
    """One item of /v1/returns/list."""
    price = {"currency_code": "RUB", "price": float(r.line.price)}
    return {
        "id": r.return_id,
        "company_id": 0,
        "return_reason_name": r.reason,
        "type": "FullReturn",
        "schema": "Fbs",
        "order_id": r.order_id,
        "order_number": r.order_number,
        "posting_number": r.posting_number,
        "source_id": r.return_id,
        "product": {
            "sku": r.line.sku,
            "offer_id": r.line.offer_id,
            "name": r.line.name,
            "price": price,
            "price_without_commission": price,
            "commission_percent": 0,
            "commission": {"currency_code": "RUB", "price": 0},
            "quantity": r.quantity,
        },
        "logistic": {
            "technical_return_moment": iso(r.created_at),
            "return_date": iso(r.created_at),
            "barcode": f"ii{r.return_id:010d}",
        },
        "visual": {
            "status": {"id": r.status_id, "display_name": r.status_title, "sys_name": r.status_name},
            "change_moment": iso(r.status_changed_at),
        },
        "additional_info": {"is_opened": False, "is_super_econom": False},
        "exemplars": [],
    }
