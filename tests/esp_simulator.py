"""A loopback ESP for the fault tests and benchmarks/tick.py: the part of Postmark's API
that anymail's Postmark backend calls, with a configurable latency and failure rate.

    python -m tests.esp_simulator --latency-ms 50 --fail-rate 0.3   # prints its URL

``POST /email`` (and ``/email/batch``) answer like Postmark: ``{"To", "SubmittedAt",
"MessageID", "ErrorCode": 0, "Message": "OK"}``, after sleeping the latency; a share of
requests (``--fail-rate``) answer 429 or 500 with Postmark-style error bodies instead and
are not accepted. Every accepted message is recorded with the ``remarket_message`` of its
metadata, so a test can count duplicates: ``GET /_record`` returns the record as JSON.
The server runs in its own process (its CPU is not the tick's) and handles each
keep-alive connection in its own thread, so many requests can wait out the latency at once.

In Python, :func:`esp_simulator` starts one and gives an :class:`ESP` with the settings
that point anymail at it.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "simulated-postmark-token"
FAILURES = {
    429: {"ErrorCode": 429, "Message": "Rate limit exceeded. Please retry later."},
    500: {"ErrorCode": 500, "Message": "Internal server error."},
}


class Simulator(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: many workers connect at once

    def __init__(self, port: int, latency: float, fail_rate: float, seed: int | None) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.latency, self.fail_rate = latency, fail_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.accepted: list[dict[str, str]] = []
        self.refused: Counter[int] = Counter()
        self.requests = 0

    def roll(self) -> int:
        """0 to accept this request, else the HTTP status to fail it with."""
        with self.lock:
            self.requests += 1
            if self.random.random() >= self.fail_rate:
                return 0
            status = self.random.choice((429, 500))
            self.refused[status] += 1
            return status


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as anymail's requests session expects
    # Headers and body are separate writes: with Nagle's algorithm the body would wait
    # for the client's delayed ACK, adding 40 ms to every answer.
    disable_nagle_algorithm = True
    server: Simulator

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.server.latency)
        self.answer(*self.reply(body))

    def reply(self, body: bytes) -> tuple[int, Any]:
        # A request line with a whole URL is what a forward proxy receives: the simulator
        # then plays the proxy too, and records the host the request was meant for.
        target = urlsplit(self.path)
        path = target.path.rstrip("/")
        if path not in ("/email", "/email/batch"):
            return 404, {"ErrorCode": 404, "Message": "Not found."}
        if self.headers.get("X-Postmark-Server-Token") != TOKEN:
            return 401, {"ErrorCode": 10, "Message": "Bad or missing API token."}
        try:
            sent = json.loads(body)
        except ValueError:
            return 422, {"ErrorCode": 402, "Message": "Invalid JSON."}
        failure = self.server.roll()
        if failure:
            return failure, FAILURES[failure]
        batch = path.endswith("/batch")
        answers = [self.accept(email, target.netloc) for email in (sent if batch else [sent])]
        return 200, answers if batch else answers[0]

    def accept(self, email: dict[str, Any], proxied_for: str = "") -> dict[str, Any]:
        message_id = str(uuid.uuid4())
        metadata = email.get("Metadata") or {}
        with self.server.lock:
            self.server.accepted.append(
                {
                    "remarket_message": str(metadata.get("remarket_message", "")),
                    "to": email.get("To", ""),
                    "message_id": message_id,
                    "proxied_for": proxied_for,
                    "list_unsubscribe": next(
                        (
                            h.get("Value", "")
                            for h in email.get("Headers") or []
                            if h.get("Name") == "List-Unsubscribe"
                        ),
                        "",
                    ),
                }
            )
        return {
            "To": email.get("To", ""),
            "SubmittedAt": datetime.now(UTC).isoformat(),
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/_record":
            self.answer(404, {"ErrorCode": 404, "Message": "Not found."})
            return
        with self.server.lock:
            record = {
                "accepted": list(self.server.accepted),
                "refused": {str(k): v for k, v in self.server.refused.items()},
                "requests": self.server.requests,
            }
        self.answer(200, record)

    def answer(self, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the output


@dataclass
class ESP:
    """A running simulator: its URL, the settings that use it, and what it accepted."""

    url: str

    def settings(self) -> dict[str, Any]:
        """``EMAIL_BACKEND`` and ``ANYMAIL`` for Django: anymail's real Postmark backend."""
        return {
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL": {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": self.url},
        }

    def record(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "_record", timeout=30) as response:
            return json.load(response)

    def accepted(self) -> Counter[str]:
        """How many times each remarket message id was accepted."""
        return Counter(a["remarket_message"] for a in self.record()["accepted"])


@contextmanager
def esp_simulator(
    *, latency_ms: float = 0, fail_rate: float = 0.0, seed: int | None = None
) -> Iterator[ESP]:
    """Start a simulator in its own process for the duration of the block."""
    command = [sys.executable, "-m", "tests.esp_simulator", "--latency-ms", str(latency_ms)]
    command += ["--fail-rate", str(fail_rate)] + (["--seed", str(seed)] if seed is not None else [])
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the ESP simulator did not start (it printed {url!r})")
        yield ESP(url)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="0.3: 30%% fail")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    server = Simulator(args.port, args.latency_ms / 1000, args.fail_rate, args.seed)
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
