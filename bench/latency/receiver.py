#!/usr/bin/env python3
"""Latency receiver: each event's payload carries "t", the publisher's clock
(epoch seconds) just before its transaction commits, and "phase", a label;
the receiver records arrival - t per phase.

    receiver.py PORT

A minimal HTTP/1.1 server on asyncio (keep-alive, 204 to every POST): cheap
enough per request that it is not what limits a run at 2,000 events/s on two
shared cores (http.server's thread per connection was). The arrival clock is
read as soon as the body is in, before anything else is done with it.

GET /stats answers {"phase": count, ...} so far. On SIGTERM it prints one
line per phase: n, p50, p99 and max in milliseconds, and exits.
"""
import asyncio
import json
import os
import signal
import sys
import time

latencies = {}  # phase -> [milliseconds]


def arrived(at, body):
    try:
        data = json.loads(body)["data"]
        phase, ms = str(data.get("phase", "-")), (at - float(data["t"])) * 1000.0
    except (ValueError, KeyError, TypeError):
        phase, ms = "unparsed", 0.0
    latencies.setdefault(phase, []).append(ms)


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            if head.startswith(b"GET /stats"):
                out = json.dumps({k: len(v) for k, v in latencies.items()}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(out), out))
            else:
                arrived(time.time(), body)
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def report():
    if not latencies:
        print("latency: no events arrived", flush=True)
    for phase, xs in latencies.items():
        xs.sort()
        pick = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
        print(f"latency {phase}: n={len(xs)} p50={pick(0.50):.1f}ms p99={pick(0.99):.1f}ms max={xs[-1]:.1f}ms", flush=True)


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    report()
    # exit at once: the worker's keep-alive connections may still be open, and
    # asyncio's teardown would cancel their handlers noisily
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
