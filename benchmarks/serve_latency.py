"""Latency of the what-if page: from a changed control to the updated numbers on screen.

    python benchmarks/serve_latency.py              # 50 changes at the default N
    python benchmarks/serve_latency.py --n 10000    # at another N

Starts a real `python -m stress serve --port 0` (compile cache warm), opens the page
in headless Chromium (Debian's, driven by Playwright), waits for the first answer, then
changes `tier3.delay_hours` 50 times, to a new value each time, waiting after each for
the page to show the answer to that change. The page itself times each change: from
the input event to the frame after the numbers and curves were drawn
(`data-latency-ms`); the time Playwright saw from typing to the answer on screen (it
watches the page every animation frame) is reported beside it. The default N is the one the server chose for this machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


def start_server(folder: Path, n: int | None) -> tuple[subprocess.Popen, str]:
    args = [sys.executable, "-m", "stress", "serve", "--port", "0", "--results", str(folder / "results")]
    if n is not None:
        args += ["-n", str(n)]
    server = subprocess.Popen(args, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 300
    for line in server.stdout:
        match = re.search(r"(http://\S+/)", line)
        if match:
            return server, match.group(1)
        if time.monotonic() > deadline:
            break
    server.kill()
    raise SystemExit("stress serve did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--n", type=int, default=None, help="replications per answer (default: the server's)")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_server(Path(tmp), args.n)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                answer = page.locator("#answer")
                expect(answer).to_have_attribute("data-state", "ready", timeout=60_000)
                n = int(page.locator('[data-key="n"] input').input_value())
                box = page.locator('[data-key="tier3.delay_hours"] input')
                in_page, seen = [], []
                for i in range(args.changes):
                    seq = int(answer.get_attribute("data-latest")) + 1
                    began = time.perf_counter()
                    box.fill(str(24 + (i * 7) % 97))      # a new value each time (24 to 120 hours)
                    page.locator(f'#answer[data-seq="{seq}"][data-state="ready"]').wait_for(timeout=60_000)
                    seen.append(time.perf_counter() - began)
                    in_page.append(float(answer.get_attribute("data-latency-ms")) / 1000)
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    load = os.getloadavg()
    print(f"N = {n:,} per answer, {args.changes} changes of tier3.delay_hours; load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print("| measured | median | 95th percentile | max |")
    print("|---|---|---|---|")
    for name, values in (("in the page (input event to the frame after drawing)", in_page),
                         ("by Playwright (typing to the answer seen)", seen)):
        print(f"| {name} | {statistics.median(values):.3f} s | {percentile(values, 0.95):.3f} s | "
              f"{max(values):.3f} s |")


if __name__ == "__main__":
    main()
