#!/usr/bin/env python3
"""Local SMTP server for the demo: keeps every email Odoo sends, relays none.

Each message received is written into the output folder, named after the time it
arrived and its subject, as:

- ``<name>.eml``: the message as received (open it with any mail client);
- ``<name>.html``: the same message for a web browser: its headers, its HTML body
  (shown in a sandboxed frame, scripts off) or its text, and links to its
  attachments, saved in ``<name>.files/``;
- ``index.html``, rewritten after each message: every message of the folder,
  newest first, with its time, subject and recipients, each linking to its page.

Listens on 127.0.0.1 only.

    python3 scripts/smtp_catcher.py --port 2525 --dir var/mail
"""

import argparse
import asyncio
import logging
import re
import signal
import unicodedata
from datetime import datetime
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.smtp import SMTP

_logger = logging.getLogger("smtp_catcher")

PAGE_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .3em .8em; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f3f3f3; }
iframe { width: 100%; height: 75vh; border: 1px solid #ccc; }
pre { white-space: pre-wrap; border: 1px solid #ccc; padding: 1em; }
"""


def slugify(text, default="message"):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", ascii_text).strip("-.")[:60] or default


def write_atomically(path, data):
    """Write ``data`` (bytes or str) so that readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    tmp.rename(path)


def page(title, body):
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def header_time(message, fallback):
    """The message's Date header in local time, else ``fallback``."""
    try:
        return parsedate_to_datetime(str(message["Date"])).astimezone()
    except (TypeError, ValueError):
        return fallback


def render_message(eml_path):
    """Write ``<name>.html`` (and ``<name>.files/``) for the message in ``eml_path``."""
    message = message_from_bytes(eml_path.read_bytes(), policy=default_policy)
    files_dir = eml_path.with_suffix(".files")
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_content()
        if isinstance(payload, str):
            payload = payload.encode(part.get_content_charset() or "utf-8")
        elif not isinstance(payload, bytes):  # an attached message
            payload = part.as_bytes()
        name = slugify(part.get_filename() or "", default=f"part-{len(attachments) + 1}")
        if any(href.endswith(f"/{name}") for _label, href, _size in attachments):
            name = f"{len(attachments) + 1}-{name}"
        files_dir.mkdir(exist_ok=True)
        write_atomically(files_dir / name, payload)
        attachments.append((part.get_filename() or name, f"{files_dir.name}/{name}", len(payload)))

    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(str(message.get(header, '')))}</td></tr>"
        for label, header in (
            ("Subject", "Subject"),
            ("From", "From"),
            ("To", "To"),
            ("Cc", "Cc"),
            ("Date", "Date"),
        )
        if message.get(header)
    )
    if attachments:
        links = ", ".join(
            f"<a href='{escape(quote(href))}'>{escape(label)}</a> ({size:,} bytes)"
            for label, href, size in attachments
        )
        rows += f"<tr><th>Attachments</th><td>{links}</td></tr>"
    body = message.get_body(preferencelist=("html", "plain"))
    if body is None:
        content = "<p>(no text in this message)</p>"
    elif body.get_content_type() == "text/html":
        # srcdoc takes the HTML escaped as an attribute value; sandbox: no scripts.
        content = f'<iframe sandbox srcdoc="{escape(body.get_content(), quote=True)}"></iframe>'
    else:
        content = f"<pre>{escape(body.get_content())}</pre>"
    subject = str(message.get("Subject", "")) or "(no subject)"
    html = page(
        subject,
        f"<p><a href='index.html'>All messages</a> · <a href='{escape(quote(eml_path.name))}'>"
        f"{escape(eml_path.name)}</a></p><table>{rows}</table>{content}",
    )
    write_atomically(eml_path.with_suffix(".html"), html)


def write_index(directory):
    """Write ``index.html``: every message of ``directory``, newest first."""
    rows = []
    parser = BytesHeaderParser(policy=default_policy)
    for eml_path in sorted(directory.glob("*.eml"), reverse=True):
        with eml_path.open("rb") as eml:
            headers = parser.parse(eml)
        arrived = datetime.fromtimestamp(eml_path.stat().st_mtime).astimezone()
        when = header_time(headers, arrived).strftime("%Y-%m-%d %H:%M:%S")
        subject = str(headers.get("Subject", "")) or "(no subject)"
        recipients = ", ".join(str(headers.get(h, "")) for h in ("To", "Cc") if headers.get(h))
        html_name = eml_path.with_suffix(".html").name
        rows.append(
            f"<tr><td>{escape(when)}</td>"
            f"<td><a href='{escape(quote(html_name))}'>{escape(subject)}</a></td>"
            f"<td>{escape(recipients)}</td>"
            f"<td><a href='{escape(quote(eml_path.name))}'>.eml</a></td></tr>"
        )
    table = (
        "<table><tr><th>Time</th><th>Subject</th><th>To</th><th>File</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else "<p>No email caught yet.</p>"
    )
    body = (
        f"<h1>Emails caught by the demo ({len(rows)})</h1>"
        "<p>Written by scripts/smtp_catcher.py; nothing here was delivered. "
        "Reload the page to see new messages.</p>" + table
    )
    write_atomically(directory / "index.html", page("Emails caught by the demo", body))


class EmlWriter:
    """aiosmtpd handler writing each message to ``<directory>/<time>-<subject>.eml``,
    its HTML rendering beside it, and the folder's index."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        write_index(self.directory)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        headers = BytesHeaderParser(policy=default_policy).parsebytes(content)
        subject = str(headers.get("Subject", "")) or "no subject"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{stamp}-{slugify(subject)}.eml"
        write_atomically(path, content)
        try:
            render_message(path)
            write_index(self.directory)
        except Exception:  # the .eml is kept: never refuse a message for its rendering
            _logger.exception("could not render %s as HTML", path)
        recipients = ", ".join(envelope.rcpt_tos)
        _logger.info("caught %r to %s -> %s", subject, recipients, path)
        return "250 Message accepted for delivery"


async def serve(host, port, directory):
    loop = asyncio.get_running_loop()
    handler = EmlWriter(directory)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-catcher", enable_SMTPUTF8=True),
        host=host,
        port=port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    _logger.info("listening on %s:%s, writing to %s", host, port, directory)
    async with server:
        await stop.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", default="var/mail", help="output folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's SMTP dialogue
    asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
