"""The upload path against huggingface_hub's own client, with its HTTP layer replaced by a fake Hub."""

import json
import shutil

import httpx
import huggingface_hub
import pytest

from sentiment import UploadError
from sentiment.hub import push


@pytest.fixture
def fake_hub():
    """Installs an httpx transport that answers as the Hub does (or refuses everything when `refuse` is set)."""
    state = {"requests": [], "committed": None, "refuse": False}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        state["requests"].append((request.method, path, request.headers.get("authorization")))
        if state["refuse"]:
            return httpx.Response(401, json={"error": "Invalid credentials in Authorization header"})
        if path == "/api/repos/create":
            return httpx.Response(200, json={"url": "https://huggingface.co/someone/imdb-bilstm"})
        if path == "/api/validate-yaml":
            return httpx.Response(200, json={"errors": [], "warnings": []})
        if path.endswith("/preupload/main"):
            files = json.loads(request.content)["files"]
            return httpx.Response(200, json={"files": [{"path": f["path"], "uploadMode": "regular",
                                                        "shouldIgnore": False} for f in files]})
        if path.endswith("/commit/main"):
            lines = [json.loads(line) for line in request.content.decode().splitlines() if line.strip()]
            state["committed"] = sorted(line["value"]["path"] for line in lines if line.get("key") == "file")
            return httpx.Response(200, json={"commitUrl": "https://huggingface.co/someone/imdb-bilstm/commit/1",
                                             "commitOid": "1" * 40})
        return httpx.Response(404, json={"error": f"not faked: {path}"})

    huggingface_hub.set_client_factory(lambda: httpx.Client(transport=httpx.MockTransport(handler)))
    huggingface_hub.close_session()
    yield state
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)
    huggingface_hub.close_session()


def test_push_uploads_the_model_files(fake_hub, tiny_model_dir, tmp_path):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "m")
    assert push(folder, "someone/imdb-bilstm", token="hf_test") == "https://huggingface.co/someone/imdb-bilstm"
    assert fake_hub["committed"] == ["README.md", "config.json", "metrics.json", "model.safetensors", "vocab.json"]
    assert any(auth == "Bearer hf_test" for _, _, auth in fake_hub["requests"])
    assert "name: someone/imdb-bilstm" in (folder / "README.md").read_text()


def test_failed_push_keeps_the_folder_and_says_why(fake_hub, tiny_model_dir, tmp_path):
    fake_hub["refuse"] = True
    folder = shutil.copytree(tiny_model_dir, tmp_path / "m")
    with pytest.raises(UploadError, match=r"Upload to someone/imdb-bilstm failed .*the model is still in"):
        push(folder, "someone/imdb-bilstm", token="hf_bad")
    assert (folder / "model.safetensors").is_file()
