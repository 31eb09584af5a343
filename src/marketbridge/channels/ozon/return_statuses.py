"""Return statuses of Ozon (`visual.status.sys_name` of /v1/returns/list) and their canonical meaning.

The names are the enum the description gives for the list's `visual_status_name` filter.
"""

from __future__ import annotations

from marketbridge.model import ReturnStatus

#: visual.status.sys_name of /v1/returns/list (the filter's enum in the description).
RETURN_STATUS: dict[str, ReturnStatus] = {
    **dict.fromkeys(
        (
            "DisputeOpened",
            "OnSellerApproval",
            "OnSellerClarification",
            "OnSellerClarificationAfterPartialCompensation",
            "OfferedPartialCompensation",
            "DisputeYouOpened",
            "DisputeOpening",
            "CompensationOffered",
            "WaitingCompensation",
            "SendingError",
            "Approved",
            "ApprovedByOzon",
        ),
        ReturnStatus.OPENED,
    ),
    **dict.fromkeys(
        (
            "ArrivedAtReturnPlace",
            "MovingToSeller",
            "ReturningToSellerByCourier",
            "MovingToOzon",
            "ReturnedToOzon",
            "WaitingShipment",
        ),
        ReturnStatus.IN_TRANSIT,
    ),
    "ReceivedBySeller": ReturnStatus.RECEIVED,
    **dict.fromkeys(
        (
            "ReturnMoneyApproved",
            "PartialCompensationReturned",
            "PartialCompensationInProcess",
            "MoneyReturned",
            "MoneyReturnedBySystem",
            "ReturnCompensated",
            "CancelledDisputeNotOpen",
            "Rejected",
            "CrmRejected",
            "Cancelled",
            "CompensationRejected",
            "CompensationRejectedBySla",
            "CompensationRejectedBySeller",
            "Utilizing",
            "Utilized",
        ),
        ReturnStatus.CLOSED,
    ),
}
