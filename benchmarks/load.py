"""Load on the playground: N gradio_client clients at once on loopback, R requests in all, against `python app.py`
started here; reports errors, p50/p95 latency, requests per second and the server's peak memory."""

import argparse
import threading
import time
from pathlib import Path

from common import percentile, running_app

REVIEWS = ["A wonderful film, I loved every minute.", "Dull and far too long; the ending is a mess.",
           "Not bad at all, though the middle drags a little. " * 5, "The best thing I have seen this year. " * 20]


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--clients", type=int, default=20, help="concurrent clients")
    p.add_argument("--requests", type=int, default=200, help="requests in all")
    args = p.parse_args()
    from gradio_client import Client

    with running_app() as (url, server):
        latencies, errors, lock = [], [], threading.Lock()
        per_client = [args.requests // args.clients + (i < args.requests % args.clients) for i in range(args.clients)]

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
        seconds = time.perf_counter() - start
        print(f"{args.requests} requests from {args.clients} concurrent clients in {seconds:.1f} s")
        print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        if latencies:
            print(f"latency p50 {1e3 * percentile(latencies, 50):.0f} ms, p95 {1e3 * percentile(latencies, 95):.0f} ms")
        print(f"throughput: {len(latencies) / seconds:.1f} requests/s")
        print(f"server peak memory (VmHWM): {peak_memory_mb(server.pid):.0f} MB")


if __name__ == "__main__":
    main()
