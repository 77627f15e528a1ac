#!/usr/bin/env python3
"""A real SMTP server for the alert email tests (aiosmtpd), saving each accepted message to a folder.

Prints `READY <port>` on stdout once it listens on 127.0.0.1 (port 0 picks a free one), then serves until stdin
closes or it is killed. Each message becomes `<n>.json` in --dir: {"mailFrom", "rcptTos", "data", "authUser",
"tls"}; `data` is the message as received (after the server removed the dot-stuffing).

Options:
  --auth USER:PASSWORD        require AUTH with these credentials (PLAIN and LOGIN offered)
  --auth-mechanisms LOGIN     offer only these mechanisms (comma-separated)
  --starttls CERT KEY         offer STARTTLS with this certificate
  --implicit-tls CERT KEY     TLS from the first byte
  --reject-rcpt ADDRESS=CODE  answer RCPT TO of ADDRESS with CODE (550 permanent, 451 transient)

Runs with the venv that .ci/run creates (FINANCEHUB_TEST_AIOSMTPD names its python).
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class SavingHandler:
    def __init__(self, folder, rejects):
        self.folder = folder
        self.rejects = rejects
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.rejects.get(address.lower())
        if code:
            return f"{code} recipient refused by the test server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", errors="replace"),
            "authUser": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
        }
        path = os.path.join(self.folder, f"{self.count}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return "250 Message accepted"


def context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


async def main():
    # aiosmtpd warns about plain-text AUTH, which the `tls: none` tests use on purpose.
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth")
    parser.add_argument("--auth-mechanisms")
    parser.add_argument("--starttls", nargs=2)
    parser.add_argument("--implicit-tls", nargs=2)
    parser.add_argument("--reject-rcpt", action="append", default=[])
    args = parser.parse_args()

    rejects = {}
    for item in args.reject_rcpt:
        address, code = item.rsplit("=", 1)
        rejects[address.lower()] = code
    handler = SavingHandler(args.dir, rejects)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = args.auth.split(":", 1)
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd answers (235, or 535 for a wrong password) itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    excluded = []
    if args.auth_mechanisms:
        offered = {m.strip().upper() for m in args.auth_mechanisms.split(",")}
        excluded = [m for m in ("PLAIN", "LOGIN") if m not in offered]

    def factory():
        return SMTP(
            handler,
            hostname="test-smtp",
            tls_context=context(*args.starttls) if args.starttls else None,
            authenticator=authenticator if args.auth else None,
            auth_required=bool(args.auth),
            # Plain-text AUTH is what the `tls: none` tests exercise.
            auth_require_tls=False,
            auth_exclude_mechanism=excluded,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory,
        host="127.0.0.1",
        port=args.port,
        ssl=context(*args.implicit_tls) if args.implicit_tls else None,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    # Serve until the test closes our stdin (or kills us).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
