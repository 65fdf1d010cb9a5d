"""Customer and alert messages from Jinja2 templates: subject, plain text and HTML.

One template per message kind in `templates/`, each extending `_layout.j2` and filling three
blocks: `subject` and `text` (rendered without escaping: they are not HTML) and `body_html`
(escaped inside `{% autoescape true %}`). Variables that are missing raise instead of printing
nothing, so a broken template fails the test, not the customer's email.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
CUSTOMER_KINDS = (
    "order_confirmed",
    "order_shipped",
    "order_delivered",
    "order_delayed",
    "delivery_attempted",
    "delivery_problem",
    "delivery_estimate_slipped",
    "ready_for_pickup",
    "pickup_delayed",
    "return_received",
    "refund_issued",
)


class TemplateError(Exception):
    """A message template could not be rendered; the message names the template."""


class TemplateRenderer:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self.directory = directory
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        # Built on first use, not at import: importing a connector reads no files.
        if self._env is None:
            self._env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(self.directory),
                autoescape=False,
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
            )
        return self._env

    def kinds(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.j2") if not p.stem.startswith("_"))

    def render(self, kind: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """(subject, text, html) for one message kind, or TemplateError naming the template
        and what it could not fill (jinja2's own error names neither)."""
        try:
            template = self.env.get_template(f"{kind}.j2")
            html = template.render(context)
            block_context = template.new_context(dict(context))
            subject = "".join(template.blocks["subject"](block_context)).strip()
            text = "".join(template.blocks["text"](block_context)).strip() + "\n"
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"template {kind}.j2 could not be rendered: {error.message or error}"
            ) from error
        return " ".join(subject.split()), text, html
