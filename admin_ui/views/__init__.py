"""The console pages, one module each, rendered inside `admin_ui.session.run_page`."""
