"""Fetching IMDB and GloVe from their canonical sources into a cache folder, once."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from .errors import DownloadError

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
GLOVE_URL = "https://nlp.stanford.edu/data/glove.6B.zip"


def cache_dir() -> Path:
    """$IMDB_BILSTM_CACHE, else ~/.cache/imdb-bilstm."""
    return Path(os.environ.get("IMDB_BILSTM_CACHE", Path.home() / ".cache" / "imdb-bilstm"))


def fetch(url: str, folder: str | Path) -> Path:
    """The file at `url`, downloaded into `folder` with a progress bar unless it is there already."""
    folder = Path(folder)
    dest = folder / url.rsplit("/", 1)[-1]
    if dest.is_file():
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=15) as r, open(part, "wb") as f:
            size = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc=dest.name) as bar:
                for block in iter(lambda: r.read(1 << 20), b""):
                    f.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as e:
        part.unlink(missing_ok=True)
        raise DownloadError(url, str(getattr(e, "reason", e))) from e
    shutil.move(part, dest)
    return dest
