"""Real receivers on loopback ports for the alert tests: an SMTP server that speaks enough SMTP for
smtplib (aiosmtpd is not in requirements.lock), and an HTTP server that keeps every JSON POSTed."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 localhost test SMTP")
        data: list[bytes] | None = None  # the message's lines while in DATA
        while line := self.rfile.readline():
            if data is not None:
                if line.rstrip(b"\r\n") == b".":
                    self.server.messages.append(message_from_bytes(b"".join(data), policy=policy.default))
                    data = None
                    self.reply("250 queued")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)  # SMTP dot-stuffing
                continue
            verb = line[:4].upper().decode(errors="replace")
            if verb == "EHLO":
                self.wfile.write(b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                data = []
                self.reply("354 end with <CRLF>.<CRLF>")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.messages.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # quiet test output
        pass


@contextmanager
def _serving(server) -> Iterator:
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_server() -> Iterator[tuple[str, list[EmailMessage]]]:
    """('127.0.0.1:PORT', the messages received so far)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    with _serving(server):
        yield f"127.0.0.1:{server.server_address[1]}", server.messages


@contextmanager
def webhook_server() -> Iterator[tuple[str, list[dict]]]:
    """('http://127.0.0.1:PORT/hook', the JSON bodies received so far)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    with _serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", server.messages


def closed_port() -> int:
    """A loopback port nothing listens on: a receiver that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
