"""The admin console's entry script (`streamlit run admin_ui/app.py`, or `ordo console`).

Signed out, the only page is the sign-in form. Signed in, the navigation offers the pages the
credential's role may use (`admin_ui.roles`); each page script lives in `admin_ui/screens/`.
The console reaches Ordo only through the API at ORDO_API_URL.
"""

from __future__ import annotations

import streamlit as st

from admin_ui import session
from admin_ui.client import ApiError
from admin_ui.roles import PAGES, pages_for


def sign_in_page() -> None:
    st.title("Ordo console")
    st.write(
        "Sign in with an API key (`ordo_...`) or a bearer token. "
        "`ordo up` prints the demo admin key when it starts on a fresh database."
    )
    choosable = session.address_choosable()
    with st.form("sign-in"):
        # Read-only outside development: the console's server sends the credential typed
        # below to this address, which must not be whatever the visitor names.
        url = st.text_input(
            "API address",
            value=session.api_url(),
            disabled=not choosable,
            help=None if choosable else "Set by ORDO_API_URL where the console was started.",
        )
        credential = st.text_input("API key or token", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            session.sign_in(credential, url if choosable else None)
        except ApiError as error:
            if error.status == 401:
                st.error(f"That key or token was not accepted: {error.message}")
            else:
                session.show_failure(error)
        else:
            st.rerun()


def main() -> None:
    st.set_page_config(page_title="Ordo console", page_icon=":material/hub:", layout="wide")
    # An operations console, not a Streamlit demo: no "Deploy" button or developer menu.
    st.set_option("client.toolbarMode", "viewer")
    who = session.principal()
    if who is None:
        # Every page's address shows the sign-in form while signed out, so a link into the
        # console (say, to a simulated order) keeps its page and query and lands there after.
        doors = [
            st.Page(sign_in_page, title=spec.title, url_path=spec.key) for spec in PAGES.values()
        ]
        front = st.Page(sign_in_page, title="Sign in", url_path="sign-in", default=True)
        st.navigation([front, *doors], position="hidden").run()
        return
    specs = pages_for(who["role"])
    with st.sidebar:
        st.caption(f"Signed in as **{who['name']}** ({who['role']})")
        st.caption(f"API: {session.api_url()}")
        if st.button("Sign out"):
            session.sign_out()
            st.rerun()
    if not specs:
        st.warning(f"The role '{who['role']}' has no pages in the console.")
        return
    pages = [
        st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=spec.key) for spec in specs
    ]
    st.navigation(pages).run()


main()
