#!/usr/bin/env python3
"""Latency receiver: each event's payload carries "t", the publisher's clock
(epoch seconds) just before its transaction commits; the receiver records
arrival - t. On SIGTERM it prints count, p50, p99 and max in milliseconds.

    receiver.py PORT
"""
import http.server
import json
import signal
import sys
import threading
import time

latencies = []
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        arrived = time.time()
        sent = json.loads(body)["data"]["t"]
        with lock:
            latencies.append((arrived - sent) * 1000.0)
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def report(*_):
    with lock:
        xs = sorted(latencies)
    if not xs:
        print("latency: no events arrived", flush=True)
    else:
        pick = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
        print(f"latency: n={len(xs)} p50={pick(0.50):.1f}ms p99={pick(0.99):.1f}ms max={xs[-1]:.1f}ms", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, report)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        time.sleep(3600)
