"""One label's row, shared by a shipment's label on the Orders page and a return's label in
its Returns section: what was made (format and tracking number) or that nothing was yet, a
button per format for those who may make one, and the download once one is made.

The tracking number a label issues stays its parcel's, so making it again, or in the other
format, prints the same number; the API has the last word on whether a label can be made.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

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
