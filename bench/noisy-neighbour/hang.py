#!/usr/bin/env python3
"""A receiver that hangs: accepts connections on 127.0.0.1:PORT, never answers."""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4096)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # keep it open, read nothing, answer nothing
