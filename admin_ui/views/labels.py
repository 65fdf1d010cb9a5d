"""One label's row, shared by a shipment's label (on the Orders and Shipments pages) and a
return's label in its Returns section: what was made (format and tracking number) or that
nothing was yet, a button per format for those who may make one, and the download once one is
made. `shipment_label` is a shipment's whole row: the buttons its role may use, the making,
and the API's refusal shown in place.

The tracking number a label issues stays its parcel's, so making it again, or in the other
format, prints the same number; the API has the last word on whether a label can be made.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import Shipment
from admin_ui.roles import may
from admin_ui.session import flash

LABEL_FORMATS = ("pdf", "zpl")  # a 4x6 inch page for any printer; a thermal printer's commands
LABEL_MEDIA_TYPES = {"pdf": "application/pdf", "zpl": "application/x-zpl"}


def label_row(
    title: str,
    *,
    made: str,
    tracking_number: str,
    key: str,
    file_name: str,
    make: Callable[[str], None] | None,
    download: Callable[[], bytes] | None,
) -> None:
    """`made` is the format of the label made so far ("" for none); `make(format)` is offered
    as a button per format when given, and `download()` fetches the label once there is one.
    `key` tells this row's buttons from other rows'; the download is `file_name.<format>`."""
    words, *buttons = st.columns([4, 1, 1, 2])
    words.write(
        f"{title}: " + (f"{made.upper()}, tracking {tracking_number}" if made else "none yet")
    )
    if make is not None:
        for column, format in zip(buttons[:2], LABEL_FORMATS, strict=True):
            if column.button(f"Make {format.upper()}", key=f"{key}:{format}"):
                make(format)
    if download is not None and made:
        buttons[2].download_button(
            "Download label",
            data=download(),
            file_name=f"{file_name}.{made}",
            mime=LABEL_MEDIA_TYPES.get(made, "application/octet-stream"),
            key=f"{key}:download",
        )


def shipment_label(client: OrdoClient, role: str, shipment: Shipment) -> bool:
    """The shipment's label row, made (PDF for any printer, ZPL for a thermal one) by the
    roles that may, downloaded once made by those that may read labels; whether a row was
    shown. A cancelled shipment, or one without a carrier, gets none: the API refuses it a
    label (409)."""
    makes, reads = may(role, "make_labels"), may(role, "read_labels")
    if not (makes or reads) or shipment["status"] == "cancelled" or not shipment["carrier"]:
        return False
    shipment_id = shipment["id"]
    label_row(
        f"Label of {shipment_id}",
        made=shipment.get("label_format") or "",  # an API from before labels has none
        tracking_number=shipment["tracking_number"],
        key=f"label:{shipment_id}",
        file_name=f"label-{shipment_id}",
        make=partial(_make_shipment_label, client, shipment_id) if makes else None,
        download=partial(client.shipment_label, shipment_id) if reads else None,
    )
    return True


def _make_shipment_label(client: OrdoClient, shipment_id: str, format: str) -> None:
    try:
        labelled = client.make_label(shipment_id, format)
    except ApiError as error:
        if error.status not in (404, 409, 422) or error.still_running:
            raise
        st.error(f"No label for {shipment_id}: {error.message}")
        return
    flash(
        f"Label of {shipment_id} made ({format.upper()}); tracking number "
        f"{labelled['tracking_number']}."
    )
    st.rerun()
