#!/usr/bin/env python3
"""Local SMTP server for the demo: keeps every email Odoo sends, relays none.

Each message received is written as one ``.eml`` file (open it with any mail
client, or read it as text) into the output folder, named after the time it
arrived and its subject. Listens on 127.0.0.1 only.

    python3 scripts/smtp_catcher.py --port 2525 --dir var/mail
"""

import argparse
import asyncio
import logging
import re
import signal
import unicodedata
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.smtp import SMTP

_logger = logging.getLogger("smtp_catcher")


class EmlWriter:
    """aiosmtpd handler writing each message to ``<directory>/<time>-<subject>.eml``."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        headers = BytesHeaderParser(policy=default_policy).parsebytes(content)
        subject = str(headers.get("Subject", "")) or "no subject"
        ascii_subject = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore")
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_subject.decode()).strip("-")[:60]
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{stamp}-{slug or 'message'}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.rename(path)  # readers never see half a message
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
