"""Load on the playground: N gradio_client clients at once on loopback, R requests in all, against `python app.py`
started here, a mix of analyses (/predict) and what-if edits (/what_if, a few words removed); reports errors,
p50/p95 latency, requests per second and the server's peak memory. Then the server's memory while it scores a
file of 1,000 reviews and one of 5,000 (/score_file): it should not grow with the file. With --busy, the load also
runs beside a process that keeps one core busy (started and stopped here), with the app's default threads per
analysis and with as many as torch would take by itself."""

import argparse
import contextlib
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import percentile, running_app
from sentiment.threads import cores

REVIEWS = ["A wonderful film, I loved every minute.", "Dull and far too long; the ending is a mess.",
           "Not bad at all, though the middle drags a little. " * 5, "The best thing I have seen this year. " * 20]


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def call(client, i: int, j: int) -> bool:
    """Client i's j-th request: an analysis on even j, a what-if edit (every third word removed) on odd j."""
    review = REVIEWS[(i + j) % len(REVIEWS)]
    if j % 2 == 0:
        return "probability_positive" in client.predict(review, api_name="/predict")
    n = len(review.split())
    return "probability_after" in client.predict(review, list(range(j % 3, n, 3)), api_name="/what_if")


def run_load(url: str, clients: int, requests: int) -> tuple[float, list[float], list[str]]:
    """`requests` calls from `clients` threads at once: (seconds, latencies of the good ones, errors)."""
    from gradio_client import Client

    latencies, errors, lock = [], [], threading.Lock()
    per_client = [requests // clients + (i < requests % clients) for i in range(clients)]

    def worker(i: int, n: int):
        client = Client(url, verbose=False)
        for j in range(n):
            start = time.perf_counter()
            try:
                ok, out = call(client, i, j), "a reply without its fields"
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


def review_file(folder: Path, n: int) -> Path:
    """n reviews, one per line, of 1 to 5 of the load's reviews each (seeded): about 0.8 MB per 1,000."""
    rng = random.Random(n)
    path = folder / f"reviews-{n}.txt"
    path.write_text("\n".join(" ".join(rng.choices(REVIEWS, k=rng.randint(1, 5))) for _ in range(n)))
    return path


def score_file_memory(url: str, pid: int, path: Path) -> tuple[float, float, float, str]:
    """Score the file through /score_file, sampling the server's resident memory every 20 ms: (seconds, memory
    before, highest while scoring, the summary)."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    before, peak, done = memory_mb(pid, "VmRSS"), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], memory_mb(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    try:
        summary = client.predict(handle_file(str(path)), "red/green", api_name="/score_file")[0]
    finally:
        done.set()
        sampler.join()
    return time.perf_counter() - start, before, peak[0], summary


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
    p.add_argument("--files", type=int, nargs="*", default=[1000, 5000],
                   help="then score files of these many reviews, one after the other")
    args = p.parse_args()
    runs = [("idle machine, default threads", (), contextlib.nullcontext)]
    if args.busy:
        runs += [("beside a busy process, default threads", (), busy_core),
                 (f"beside a busy process, {cores()} threads per analysis", ("--threads", str(cores())), busy_core)]
    print("each client's requests alternate: an analysis (/predict), then a what-if edit (/what_if)")
    for name, app_args, around in runs:
        with running_app(*app_args) as (url, server), around():
            seconds, latencies, errors = run_load(url, args.clients, args.requests)
            print(f"{name}: {args.requests} requests from {args.clients} concurrent clients in {seconds:.1f} s")
            print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
            if latencies:
                print(f"  latency p50 {1e3 * percentile(latencies, 50):.0f} ms, "
                      f"p95 {1e3 * percentile(latencies, 95):.0f} ms")
            print(f"  throughput: {len(latencies) / seconds:.1f} requests/s")
            print(f"  server peak memory (VmHWM): {memory_mb(server.pid):.0f} MB", flush=True)
            if around is contextlib.nullcontext:
                with tempfile.TemporaryDirectory() as folder:
                    for n in args.files:
                        seconds, before, peak, summary = score_file_memory(url, server.pid,
                                                                           review_file(Path(folder), n))
                        print(f"  a file of {n:,} reviews: {seconds:.1f} s; server memory {before:.0f} MB before, "
                              f"at most {peak:.0f} MB while scoring ({summary})", flush=True)


if __name__ == "__main__":
    main()
