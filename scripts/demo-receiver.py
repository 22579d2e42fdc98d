#!/usr/bin/env python3
"""A sample webhook receiver: verifies Standard Webhooks signatures and prints
what arrived. Standard library only, so it runs anywhere python3 does.

    demo-receiver.py PORT SECRET [SECRET ...]   # listens on 127.0.0.1:PORT

Answers 204 to a request whose signature verifies with one of the secrets and
whose timestamp is within five minutes, 401 otherwise.
"""
import base64
import hashlib
import hmac
import http.server
import json
import sys
import time

TOLERANCE_SECONDS = 300


def expected_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secrets, headers, body: bytes) -> bool:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected_signature(s, msg_id, timestamp, body), sig)
               for s in secrets for sig in offered)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the worker reuses connections
    secrets: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        ok = verify(self.secrets, self.headers, body)
        event = json.loads(body) if ok else {}
        print(f"receiver: {'verified' if ok else 'REJECTED'} webhook-id={self.headers.get('webhook-id')} "
              f"type={event.get('type')} data={json.dumps(event.get('data'))}", flush=True)
        self.send_response(204 if ok else 401)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):  # the line above says it all
        pass


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    Handler.secrets = sys.argv[2:]
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
