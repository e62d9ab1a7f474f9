"""Model folders and the Hugging Face Hub: finding one (bundled, local or downloaded) and pushing one."""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError

from .errors import ModelLoadError, UploadError, reason
from .folder import FILES, write_card

BUNDLED = Path(__file__).resolve().parent / "pretrained"


def push(folder: str | Path, repo_id: str, token: str | None = None) -> str:
    """Upload a model folder; the folder stays whatever happens. Returns the repo's URL."""
    api = HfApi(token=token or os.environ.get("HF_TOKEN"))
    try:
        api.create_repo(repo_id, exist_ok=True, repo_type="model")
        write_card(folder, repo_id)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                          allow_patterns=list(FILES), commit_message="Upload imdb-bilstm model")
    except Exception as e:  # any failure (network, auth, HTTP) ends in the same advice
        raise UploadError(f"Upload to {repo_id} failed ({reason(e)}); the model is still in {folder}, "
                          "ready to upload again later.") from e
    return f"https://huggingface.co/{repo_id}"


def resolve(source: str | Path | None) -> Path:
    """A local folder for `source`: None (the bundled model), a model folder, or a Hub repo id (cached download)."""
    if source is None:
        source = BUNDLED
    path = Path(source).expanduser()
    if path.exists():  # folder.load says which file a model folder lacks
        return path
    if str(source).count("/") != 1 or str(source).startswith((".", "/", "~")):
        raise ModelLoadError(f"No model folder at {source}, and it is not a Hub repo id of the form owner/name.")
    if path.parent.is_dir():  # shaped like owner/name, but "runs/seed" before training is a folder path
        raise ModelLoadError(f"No model folder at {source}: the folder {path.parent} exists but holds no "
                             f"{path.name}.")
    try:
        return Path(snapshot_download(repo_id=str(source), allow_patterns=list(FILES),
                                      token=os.environ.get("HF_TOKEN")))
    except LocalEntryNotFoundError as e:
        raise ModelLoadError(f"Cannot reach the Hugging Face Hub and {source} is not in the local cache; "
                             "connect, or pass a local model folder.") from e
    except Exception as e:  # HTTP, authentication, disk: one sentence either way
        raise ModelLoadError(f"Could not download {source} from the Hugging Face Hub ({reason(e)}).") from e

