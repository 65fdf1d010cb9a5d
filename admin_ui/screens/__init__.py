"""Page scripts Streamlit runs; each hands its page to `admin_ui.session.run_page`."""
