# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Rendering and posting the email of many reminders at once.

Odoo renders a template's QWeb body record by record, compiling it again for
each; while ``qweb_compile_once`` is active, a body compiled once serves every
record rendered in the same language and context.

The ORM sanitizes an HTML value twice when it creates a record (once for the
database, once for the cache: a message's body, a note): while
``html_sanitize_once`` is active, an HTML text sanitized with given options is
sanitized once, the same result serving again (``html_sanitize`` is a pure
function of its text and options: the result is the same)."""

import contextlib
import contextvars

from lxml import etree

from odoo import fields, models

# The templates compiled during a batch rendering, {key: compiled functions};
# None outside one. A Python context only, never the records' context.
_compiled = contextvars.ContextVar("dunning_qweb_compiled", default=None)
# The HTML texts sanitized while sending a chunk, {(type, text, options):
# sanitized}; None outside one.
_sanitized = contextvars.ContextVar("dunning_html_sanitized", default=None)


@contextlib.contextmanager
def qweb_compile_once():
    """Inside, ir.qweb compiles each raw template (an element, as the mail
    templates' bodies are rendered) once per rendering context. Nested: the
    outermost one keeps the compiled templates (a batch of chunks)."""
    if _compiled.get() is not None:
        yield
        return
    token = _compiled.set({})
    try:
        yield
    finally:
        _compiled.reset(token)


@contextlib.contextmanager
def html_sanitize_once():
    """Inside, the HTML fields sanitize a given text with given options once."""
    token = _sanitized.set({})
    try:
        yield
    finally:
        _sanitized.reset(token)


def _html_sanitize_once(src, *args, **kwargs):
    cache = _sanitized.get()
    if cache is None or not src or not isinstance(src, str) or args:
        return _html_sanitize_once.origin(src, *args, **kwargs)
    key = (type(src), str(src), tuple(sorted(kwargs.items())))
    if key not in cache:
        cache[key] = _html_sanitize_once.origin(src, **kwargs)
    return cache[key]


# The HTML fields call the sanitizer through the name ``fields.html_sanitize``
# (Html._convert): wrapped once per process, unchanged outside a chunk.
if not hasattr(fields.html_sanitize, "origin"):
    _html_sanitize_once.origin = fields.html_sanitize
    fields.html_sanitize = _html_sanitize_once


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
