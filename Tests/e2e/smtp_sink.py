#!/usr/bin/env python3
"""A standalone SMTP sink for trying Wharf's mail client by hand (not collected by pytest).

Runs an aiosmtpd server on 127.0.0.1 and writes every message it accepts, exactly as received after
DATA (dot-stuffing removed), as a .eml file into --maildir.

    python3 -m venv /tmp/venv-smtp && /tmp/venv-smtp/bin/pip install aiosmtpd
    /tmp/venv-smtp/bin/python Tests/e2e/smtp_sink.py --port 2525 --maildir /tmp/mail \
        [--user U --password P] [--tls-cert cert.pem --tls-key key.pem]

--user/--password: AUTH PLAIN and LOGIN are offered and required before MAIL FROM.
--tls-cert/--tls-key: STARTTLS is offered and required (require_starttls) before any other command;
AUTH is then only accepted over TLS. Without them the sink speaks plain SMTP (AUTH allowed in clear,
which the Wharf client only does for a loopback host).

Prints "smtp_sink listening on 127.0.0.1:PORT" once ready (PORT is the real one when --port 0) and
stops cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import itertools
import signal
import ssl
import sys
import time
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class MaildirHandler:
    """Writes each accepted message to <maildir>/<time>-<n>.eml."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook name)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(self.counter):04d}.eml"
        path = self.maildir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content or b"")
        tmp.rename(path)
        print(
            f"smtp_sink stored {name}: from={envelope.mail_from} to={','.join(envelope.rcpt_tos)} "
            f"tls={session.ssl is not None} auth={session.authenticated}",
            flush=True,
        )
        return "250 2.0.0 Message accepted"


class SingleUserAuthenticator:
    """Accepts exactly one user/password pair (PLAIN or LOGIN)."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = hmac.compare_digest(auth_data.login, self.user) and hmac.compare_digest(auth_data.password, self.password)
        return AuthResult(success=ok, handled=False)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SMTP sink writing .eml files (aiosmtpd)")
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--maildir", type=Path, required=True, help="directory for the .eml files (created)")
    parser.add_argument("--user", help="require AUTH with this user")
    parser.add_argument("--password", help="the password for --user")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate: offer and require STARTTLS")
    parser.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    args = parser.parse_args(argv)
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return args


async def serve(args: argparse.Namespace) -> None:
    args.maildir.mkdir(parents=True, exist_ok=True)
    tls_context = None
    if args.tls_cert is not None:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(str(args.tls_cert), str(args.tls_key))

    handler = MaildirHandler(args.maildir)
    options: dict = {"hostname": "smtp-sink.localhost", "ident": "wharf smtp_sink"}
    if tls_context is not None:
        options.update(tls_context=tls_context, require_starttls=True)
    if args.user is not None:
        options.update(
            authenticator=SingleUserAuthenticator(args.user, args.password),
            auth_required=True,
            auth_require_tls=tls_context is not None,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, loop=loop, **options), host="127.0.0.1", port=args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"smtp_sink listening on 127.0.0.1:{port}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main(argv: list[str]) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
