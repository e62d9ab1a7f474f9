"""Shared set-up for the benchmarks: the real data's paths, the encoded corpus, timing."""

import argparse
import contextlib
import os
import socket
import subprocess
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentiment import download  # noqa: E402
from sentiment.corpus import load_corpus  # noqa: E402

DATA = Path(os.environ.get("IMDB_BILSTM_DATA", ROOT.parent / "shared" / "data"))


def data_args(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default=str(DATA / "imdb" / "aclImdb_v1_noBoW.tar.gz"),
                   help="IMDB archive, aclImdb/ folder or encoded corpus folder")
    p.add_argument("--cache-dir", default=str(download.cache_dir()), help="encoded corpora")
    return p


def corpus(args, splits=("train", "test")):
    return load_corpus(args.data, args.cache_dir, splits=splits)


def paired_se(d, axis=0):
    """Standard error of the mean of paired differences `d` (one per review or text, along `axis`)."""
    d = np.asarray(d, dtype=float)
    return d.std(axis=axis, ddof=1) / np.sqrt(d.shape[axis])


def percentile(values, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def timed_in_turn(fns, repeat: int) -> list[list[float]]:
    """Seconds per call of each function, the functions taking turns, after one warm-up round."""
    for fn in fns:
        fn()
    out = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, out):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return out


median = statistics.median


@contextlib.contextmanager
def running_app(*extra_args: str):
    """`python app.py` on a free loopback port, for as long as the block runs; yields (url, process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *extra_args], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(180):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("app.py exited before it listened; run it by hand to see why")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/", server
    finally:
        server.terminate()
        server.wait(timeout=20)
