"""`make demo` runs example_project/demo.py: it must come up and say where to go."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_migrates_seeds_serves_and_prints_its_urls(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "REMARKET_DEMO_VAR": str(tmp_path),
        "DEMO_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "example_project" / "demo.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/admin/" in text, text
        assert "admin / admin" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            home = response.read().decode()
        assert response.status == 200
        assert "Gooseneck Kettle" in home  # seeded catalogue
        assert (tmp_path / "demo.sqlite3").exists()
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=20)
    assert demo.returncode == 0
