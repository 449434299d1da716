"""`searchtune serve` as a real subprocess on a free port (--port 0), its log in a file, for tests/e2e/test_serve*.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
LISTENING = re.compile(r"serving \S+ on (http://\S+) ")


class ServeProcess:
    def __init__(self, run: Path, log: Path, *args: str, env: dict | None = None, timeout: float = 180):
        self.log = log
        environ = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
        self.proc = subprocess.Popen([str(BIN / "searchtune"), "serve", str(run), "--port", "0", *args],
                                     stdout=log.open("w"), stderr=subprocess.STDOUT, env=environ)
        deadline = time.monotonic() + timeout
        while not (found := LISTENING.search(self.text())):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"searchtune serve did not start:\n{self.text()[-3000:]}")
            time.sleep(0.2)
        self.url = found.group(1)
        while httpx.get(f"{self.url}/ready", timeout=30).status_code != 200:
            time.sleep(0.1)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
