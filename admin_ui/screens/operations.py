"""The Operations page script Streamlit runs; the page itself is `admin_ui.views.operations`."""

from __future__ import annotations

from admin_ui.session import run_page
from admin_ui.views.operations import render

run_page(render)
