#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for JSON-RPC tests (stdlib only).

Forwards each POST to --target and, with seeded randomness, misbehaves:
  --drop P        close the connection without an answer with probability P; half of the drops
                  happen AFTER the request was forwarded (the peer acted, the answer is lost),
                  which is the case an exactly-once relayer must survive
  --fail P        answer HTTP 503 without forwarding, with probability P
  --delay-ms N    wait N ms before answering (every request)
  --stall P       with probability P, hold the connection 30 s (a timeout for the client)

usage: flaky_proxy.py --target http://127.0.0.1:8545 --port 0 --ready-file F --drop 0.33 --seed 1
Prints nothing; counts go to stderr on exit.
"""
import argparse
import random
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {"forwarded": 0, "dropped_before": 0, "dropped_after": 0, "failed": 0, "stalled": 0}
lock = threading.Lock()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--drop", type=float, default=0.0)
    ap.add_argument("--fail", type=float, default=0.0)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _drop(self):
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True

        def do_GET(self):
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                roll = rng.random()
            if roll < a.stall:
                with lock:
                    counts["stalled"] += 1
                time.sleep(30)
                return self._drop()
            roll -= a.stall
            if roll < a.fail:
                with lock:
                    counts["failed"] += 1
                msg = b"service unavailable"
                self.send_response(503)
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            roll -= a.fail
            drop_before = roll < a.drop / 2
            drop_after = not drop_before and roll < a.drop
            if drop_before:
                with lock:
                    counts["dropped_before"] += 1
                return self._drop()
            request = urllib.request.Request(a.target, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = response.read()
                status = response.status
            if drop_after:
                with lock:
                    counts["dropped_after"] += 1
                return self._drop()
            with lock:
                counts["forwarded"] += 1
            if a.delay_ms:
                time.sleep(a.delay_ms / 1000)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer((a.host, a.port), Handler)
    server.daemon_threads = True
    if a.ready_file:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.replace(a.ready_file + ".tmp", a.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(counts, file=sys.stderr)


if __name__ == "__main__":
    main()
