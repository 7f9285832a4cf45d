# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Rendering the email of many reminders at once: Odoo renders a template's
QWeb body record by record, compiling it again for each; while
``qweb_compile_once`` is active, a body compiled once serves every record
rendered in the same language and context."""

import contextlib
import contextvars

from lxml import etree

from odoo import models

# The templates compiled during a batch rendering, {key: compiled functions};
# None outside one. A Python context only, never the records' context.
_compiled = contextvars.ContextVar("dunning_qweb_compiled", default=None)


@contextlib.contextmanager
def qweb_compile_once():
    """Inside, ir.qweb compiles each raw template (an element, as the mail
    templates' bodies are rendered) once per rendering context."""
    token = _compiled.set({})
    try:
        yield
    finally:
        _compiled.reset(token)


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        cache = _compiled.get()
        if cache is None or not isinstance(template, etree._Element):
            return super()._compile(template)
        # Same source and same context (language, restrictions on the
        # expressions allowed...): same compiled code.
        key = (
            etree.tostring(template),
            tuple(sorted((name, repr(value)) for name, value in self.env.context.items())),
        )
        if key not in cache:
            cache[key] = super()._compile(template)
        return cache[key]
