"""Load on the playground: N gradio_client clients at once on loopback, R requests in all, against `python app.py`
started here; reports errors, p50/p95 latency, requests per second and the server's peak memory. With --busy, also
beside a process that keeps one core busy (started and stopped here), with the app's default threads per analysis
and with as many as torch would take by itself."""

import argparse
import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import percentile, running_app
from sentiment.threads import cores

REVIEWS = ["A wonderful film, I loved every minute.", "Dull and far too long; the ending is a mess.",
           "Not bad at all, though the middle drags a little. " * 5, "The best thing I have seen this year. " * 20]


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_load(url: str, clients: int, requests: int) -> tuple[float, list[float], list[str]]:
    """`requests` /predict calls from `clients` threads at once: (seconds, latencies of the good ones, errors)."""
    from gradio_client import Client

    latencies, errors, lock = [], [], threading.Lock()
    per_client = [requests // clients + (i < requests % clients) for i in range(clients)]

    def worker(i: int, n: int):
        client = Client(url, verbose=False)
        for j in range(n):
            start = time.perf_counter()
            try:
                out = client.predict(REVIEWS[(i + j) % len(REVIEWS)], api_name="/predict")
                ok = "probability_positive" in out
            except Exception as e:  # noqa: BLE001 - every failure counts as an error
                ok, out = False, e
            with lock:
                (latencies if ok else errors).append(time.perf_counter() - start if ok else repr(out))

    threads = [threading.Thread(target=worker, args=(i, n)) for i, n in enumerate(per_client)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return time.perf_counter() - start, latencies, errors


@contextlib.contextmanager
def busy_core():
    """Another process keeping one core busy, as on a shared machine or Space, for as long as the block runs."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--clients", type=int, default=20, help="concurrent clients")
    p.add_argument("--requests", type=int, default=200, help="requests in all")
    p.add_argument("--busy", action="store_true",
                   help="also run beside a busy process, once with the app's threads per analysis and once with "
                        "torch's default (every core for each of the two analyses run at once)")
    args = p.parse_args()
    runs = [("idle machine, default threads", (), contextlib.nullcontext)]
    if args.busy:
        runs += [("beside a busy process, default threads", (), busy_core),
                 (f"beside a busy process, {cores()} threads per analysis", ("--threads", str(cores())), busy_core)]
    for name, app_args, around in runs:
        with running_app(*app_args) as (url, server), around():
            seconds, latencies, errors = run_load(url, args.clients, args.requests)
            print(f"{name}: {args.requests} requests from {args.clients} concurrent clients in {seconds:.1f} s")
            print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
            if latencies:
                print(f"  latency p50 {1e3 * percentile(latencies, 50):.0f} ms, "
                      f"p95 {1e3 * percentile(latencies, 95):.0f} ms")
            print(f"  throughput: {len(latencies) / seconds:.1f} requests/s")
            print(f"  server peak memory (VmHWM): {peak_memory_mb(server.pid):.0f} MB", flush=True)


if __name__ == "__main__":
    main()
