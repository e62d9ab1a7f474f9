import json

import pytest
import torch

import train
from sentiment import checkpoint, load_model
from sentiment.config import preset
from sentiment.pipeline import train_model


def test_train_py_writes_a_complete_model_folder(tiny_model_dir):
    for name in ("config.json", "model.safetensors", "vocab.json", "metrics.json", "README.md"):
        assert (tiny_model_dir / name).is_file(), name
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert metrics["test"]["reviews"] == 6 and metrics["valid"]["reviews"] == 1
    assert metrics["epochs_run"] == 1 and metrics["config"]["batch_size"] == 4
    assert 0 <= metrics["glove"]["vocab_share"] <= 1 and metrics["data"]["sha256"]
    card = (tiny_model_dir / "README.md").read_text()
    assert "model-index" in card and f"{metrics['test']['accuracy']:.4f}" in card
    assert "test accuracy (6 reviews)" in card and "(best epoch, 1 reviews)" in card and "## Limitations" in card
    assert not list(tiny_model_dir.glob("*.pt")) and not list(tiny_model_dir.glob("*.bin"))


def test_saved_folder_reloads_to_identical_logits(imdb_dir, glove_txt, tmp_path):
    cfg = preset("seed", model={"hidden_size": 8, "pooling": "max+mean"}, epochs=1, batch_size=4)
    model = train_model(cfg, data=imdb_dir, vectors=glove_txt, out=tmp_path / "m", device=torch.device("cpu"),
                        cache_dir=tmp_path / "cache", log=lambda *a: None).model
    clf = load_model(tmp_path / "m")
    ids, lengths = torch.randint(0, 20, (3, 12)), torch.tensor([12, 5, 1])
    assert torch.equal(model(ids, lengths), clf.model(ids, lengths))


def test_cached_corpus_equals_a_fresh_encoding(imdb_dir, tmp_path, monkeypatch):
    """The second load reads the cache (no tokenizing) and gives exactly what encoding afresh gives."""
    import numpy as np

    from sentiment.corpus import load_corpus
    from sentiment.tokens import Tokenizer

    fresh = load_corpus(imdb_dir, tmp_path / "elsewhere")
    load_corpus(imdb_dir, tmp_path / "cache")
    monkeypatch.setattr(Tokenizer, "pipe", lambda *a, **k: pytest.fail("tokenized again instead of reading the cache"))
    cached = load_corpus(imdb_dir, tmp_path / "cache")
    assert cached.types == fresh.types and cached.manifest == fresh.manifest
    assert cached.splits.keys() == fresh.splits.keys()
    for name, split in fresh.splits.items():
        for field in ("ids", "offsets", "labels", "movies"):
            assert np.array_equal(getattr(cached.splits[name], field), getattr(split, field)), (name, field)


def test_interrupted_run_resumes_where_it_stopped(imdb_dir, glove_txt, tmp_path, interrupt_step, capsys):
    """Ctrl-C during a step of epoch 2 finishes that step, saves a checkpoint and stops; --resume then finishes the
    run with the same result as no interruption (a half-applied optimizer step would show)."""
    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--preset", "seed", "--epochs", "3",
            "--hidden-size", "8", "--batch-size", "4", "--cache-dir", str(tmp_path / "cache"), "--device", "cpu"]
    assert train.main(args + ["--out", str(tmp_path / "straight")]) == 0

    interrupt_step(5)  # epoch 2, second batch (3 batches an epoch)
    assert train.main(args + ["--out", str(tmp_path / "broken")]) == 130
    progress = checkpoint.read_progress(tmp_path / "broken" / "checkpoints" / "last")
    assert (progress["epoch"], progress["batch"]) == (1, 2)  # the interrupted step was finished
    interrupt_step(None)
    assert train.main(args + ["--out", str(tmp_path / "broken"), "--resume", "--hidden-size", "16"]) == 2
    assert "model.hidden_size: 8 there, 16 now" in capsys.readouterr().err  # not a size-mismatch traceback
    assert train.main(args + ["--out", str(tmp_path / "broken"), "--resume"]) == 0
    a = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    b = json.loads((tmp_path / "broken" / "metrics.json").read_text())
    assert a["test"]["loss"] == pytest.approx(b["test"]["loss"], abs=1e-6)


def test_sigterm_also_stops_at_a_batch_boundary_with_a_checkpoint(imdb_dir, glove_txt, tmp_path, interrupt_step):
    import signal

    interrupt_step(2, signal.SIGTERM)
    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--preset", "seed", "--epochs", "2",
            "--hidden-size", "4", "--batch-size", "4", "--cache-dir", str(tmp_path / "c"), "--device", "cpu",
            "--out", str(tmp_path / "m")]
    assert train.main(args) == 130
    assert checkpoint.read_progress(tmp_path / "m" / "checkpoints" / "last")["batch"] == 2
    interrupt_step(None)
    assert train.main(args + ["--resume"]) == 0


def test_a_checkpoint_of_the_earlier_format_is_one_clear_error(tmp_path):
    from safetensors.torch import save_file

    from sentiment import SettingsError

    save_file({"model.w": torch.zeros(1)}, str(tmp_path / "state.safetensors"))  # progress was in state.json then
    with pytest.raises(SettingsError, match="earlier version of this project and cannot be resumed"):
        checkpoint.read_progress(tmp_path)


def test_checkpoint_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """A crash while a checkpoint is written leaves the previous one, weights and progress together."""
    import os

    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters())
    checkpoint.save(tmp_path, model, optimizer, None, {"epoch": 1})
    with torch.no_grad():
        model.weight.add_(1.0)
    real_replace, calls = os.replace, {"n": 0}

    def crash_after_first_rename(src, dst):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("disk gone")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_after_first_rename)
    try:
        checkpoint.save(tmp_path, model, optimizer, None, {"epoch": 2})
    except OSError:
        pass
    monkeypatch.setattr(os, "replace", real_replace)
    restored = torch.nn.Linear(3, 1)
    progress = checkpoint.load(tmp_path, restored, torch.optim.Adam(restored.parameters()), None, "cpu")
    saved_with_epoch_2 = torch.equal(restored.weight, model.weight)
    assert saved_with_epoch_2 == (progress["epoch"] == 2)


@pytest.mark.parametrize("keep_best", ["loss", "accuracy"])
def test_the_kept_epoch_is_the_best_by_the_chosen_score(imdb_dir, glove_txt, tmp_path, keep_best):
    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--preset", "seed", "--epochs", "4",
            "--hidden-size", "4", "--batch-size", "4", "--lr", "0.01", "--cache-dir", str(tmp_path / "c"),
            "--device", "cpu", "--valid-split", "review", "--keep-best", keep_best, "--out", str(tmp_path / "m")]
    assert train.main(args) == 0
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    rows = metrics["history"]
    key = (lambda r: r["valid_loss"]) if keep_best == "loss" else (lambda r: (-r["valid_accuracy"], r["valid_loss"]))
    assert metrics["best_epoch"] == min(rows, key=key)["epoch"]
    assert metrics["valid"]["loss"] == pytest.approx(min(rows, key=key)["valid_loss"], abs=1e-6)


def test_impossible_settings_are_refused_before_reading_data(tmp_path, capsys):
    assert train.main(["--data", str(tmp_path / "not-read"), "--epochs", "0", "--cache-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: epochs must be at least 1, not 0.\n"


def test_missing_data_is_one_clear_error(tmp_path, glove_txt, capsys):
    code = train.main(["--data", str(tmp_path / "nowhere"), "--vectors", str(glove_txt), "--out", str(tmp_path / "o"),
                       "--cache-dir", str(tmp_path / "c")])
    assert code == 2
    assert "No IMDB data at" in capsys.readouterr().err


def test_offline_download_names_the_flag(tmp_path, monkeypatch, capsys):
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("IMDB_BILSTM_CACHE", str(tmp_path / "cache"))
    assert train.main(["--out", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "Could not download https://ai.stanford.edu/" in err and "pass its path with --data" in err


def test_max_words_flag_sets_the_vocabulary(imdb_dir, glove_txt, tmp_path):
    """--max-words is the number of words kept; the model's own vocab_size follows from it (words + 2)."""
    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--out", str(tmp_path / "m"), "--preset", "seed",
            "--epochs", "1", "--hidden-size", "8", "--max-words", "5", "--cache-dir", str(tmp_path / "c")]
    assert train.main(args) == 0
    assert load_model(tmp_path / "m").config.vocab_size == 5 + 2


def test_downloads_go_to_the_cache_dir(imdb_tar, glove_txt, tmp_path, monkeypatch):
    """--cache-dir is where a download lands, not only where encoded corpora go."""
    import io
    import urllib.request

    class Response(io.BytesIO):
        headers = {}

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(imdb_tar.read_bytes()))
    monkeypatch.setenv("IMDB_BILSTM_CACHE", str(tmp_path / "default-cache"))
    args = ["--vectors", str(glove_txt), "--out", str(tmp_path / "m"), "--preset", "seed", "--epochs", "1",
            "--hidden-size", "4", "--cache-dir", str(tmp_path / "asked"), "--device", "cpu"]
    assert train.main(args) == 0
    assert (tmp_path / "asked" / "aclImdb_v1.tar.gz").is_file()
    assert not (tmp_path / "default-cache").exists()


def test_run_epoch_figures_equal_a_direct_computation():
    """Loss, accuracy and the logits put in place, though added up on the device and read once at the end."""
    import numpy as np

    from sentiment.batching import Dataset
    from sentiment.model import BiLSTMClassifier, ModelConfig
    from sentiment.training import evaluate

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    seqs = [rng.integers(2, 30, n) for n in rng.integers(1, 12, 37)]
    data = Dataset(seqs, rng.integers(0, 2, 37).astype(np.float32), pad_id=1)
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6)).eval()
    logits = np.full(37, np.nan, dtype=np.float32)
    stats = evaluate(model, data, torch.device("cpu"), batch_size=8, logits_out=logits)
    with torch.no_grad():
        direct = torch.stack([model(torch.as_tensor(s)[None], torch.tensor([len(s)]))[0] for s in seqs])
    labels = torch.as_tensor(data.labels)
    assert np.allclose(logits, direct.numpy(), atol=1e-5)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(direct, labels).item()
    assert stats.loss == pytest.approx(loss, abs=1e-5)
    assert stats.accuracy == int(((direct > 0).float() == labels).sum()) / 37
    assert (stats.examples, stats.tokens) == (37, int(data.lengths.sum()))


def test_patience_counts_the_epochs_before_a_resumption(tmp_path, monkeypatch, interrupt_step):
    """Stopping early depends on the epochs since the best one, whether or not the run was interrupted between."""
    import numpy as np

    from sentiment import training
    from sentiment.batching import Dataset
    from sentiment.model import BiLSTMClassifier, ModelConfig

    valid_losses = [0.5, 0.4, 0.45, 0.46, 0.47, 0.3]  # best at epoch 2; patience 2 stops after epoch 4
    rng = np.random.default_rng(0)
    data = Dataset([rng.integers(2, 30, n) for n in rng.integers(1, 12, 8)], np.ones(8, np.float32), pad_id=1)
    cfg = preset("seed", epochs=len(valid_losses), batch_size=4, patience=2)  # 2 batches an epoch

    def run(state_dir, resume=False):
        torch.manual_seed(0)
        model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6))
        return training.fit(model, data, data, cfg, torch.device("cpu"), state_dir, resume=resume, log=lambda *a: None)

    def fake_validation(losses):
        stats = iter(training.EpochStats(loss, 0.5, 8, 40, 0.0) for loss in losses)
        monkeypatch.setattr(training, "evaluate", lambda *a, **k: next(stats))

    fake_validation(valid_losses)
    straight = run(tmp_path / "straight")
    assert (straight["epoch"], straight["best_epoch"]) == (4, 2)

    fake_validation(valid_losses)  # one sequence across the interruption: epochs 1-3 use the first three losses
    interrupt_step(8)  # epoch 4's second batch
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "broken")
    interrupt_step(None)
    resumed = run(tmp_path / "broken", resume=True)
    assert (resumed["epoch"], resumed["best_epoch"]) == (4, 2)
    assert [r["valid_loss"] for r in resumed["history"]] == valid_losses[:4]
    assert training.out_of_patience({"epoch": 4, "best_epoch": 2}, 2) and not training.out_of_patience(
        {"epoch": 4, "best_epoch": 2}, 0)


def test_a_shorter_training_cut_changes_what_is_read_not_what_is_learnt(imdb_dir, glove_txt, tmp_path):
    """train_max_tokens cuts the reviews the model learns from (labelled and unlabelled), not those it is validated,
    tested and used on: trained on reviews cut to 6 tokens, it learns the same weights whether it then reads 6
    tokens or 12, and its folder says 12."""
    from sentiment.corpus import load_corpus
    from sentiment.data import prepare

    def run(name, **settings):
        cfg = preset("seed", epochs=1, batch_size=4, adversarial={"unlabelled_batch_size": 2}, **settings)
        model = train_model(cfg, data=imdb_dir, vectors=glove_txt, out=tmp_path / name, device=torch.device("cpu"),
                            cache_dir=tmp_path / "cache", log=lambda *a: None).model
        return cfg, model

    small = {"hidden_size": 8, "pooling": "max+mean", "truncate": "head+tail"}
    _, same = run("same", model={**small, "max_tokens": 6})
    cfg, longer = run("longer", model={**small, "max_tokens": 12}, train_max_tokens=6)
    assert all(torch.equal(a, b) for a, b in zip(same.state_dict().values(), longer.state_dict().values()))
    assert load_model(tmp_path / "longer").config.max_tokens == 12
    card = (tmp_path / "longer" / "README.md").read_text()
    assert "It reads at most 12 tokens of a review (of a longer one, its first 3 and last 9); it was trained on " \
           "reviews cut to 6 tokens." in card
    assert "It reads at most 6 tokens of a review (of a longer one, its first 1 and last 5). " in (
        tmp_path / "same" / "README.md").read_text()

    data = prepare(load_corpus(imdb_dir, tmp_path / "cache", splits=("train", "test", "unsup")), cfg)
    assert max(map(len, data.train.seqs)) == max(map(len, data.unlabelled.seqs)) == 6
    assert max(map(len, data.valid.seqs + data.test.seqs)) == 12


def test_a_training_cut_longer_than_the_reading_is_refused():
    from sentiment.errors import SettingsError

    with pytest.raises(SettingsError, match="never reads"):
        preset("default", train_max_tokens=1000)  # the preset reads 800
    assert preset("seed", train_max_tokens=1000).training_cut.max_tokens == 1000  # the seed preset reads them all


def test_fuse_directions_flag_reaches_the_model_and_the_record(imdb_dir, glove_txt, tmp_path):
    """--fuse-directions (a way of running the LSTM on CUDA, not a setting of the model) is set on the model that
    trains and kept in metrics.json's config, not in config.json."""
    args = train.parse_args(["--preset", "seed", "--fuse-directions"])
    cfg = train.config_from_args(args)
    assert cfg.fuse_directions and not train.config_from_args(train.parse_args([])).fuse_directions
    cfg = preset("seed", model={"hidden_size": 4}, epochs=1, batch_size=4, fuse_directions=True)
    result = train_model(cfg, data=imdb_dir, vectors=glove_txt, out=tmp_path / "m", device=torch.device("cpu"),
                         cache_dir=tmp_path / "cache", log=lambda *a: None)
    assert result.model.fused_directions and result.metrics["config"]["fuse_directions"] is True
    assert "fuse_directions" not in json.loads((tmp_path / "m" / "config.json").read_text())


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`")
def test_capturable_optimizer_holds_the_schedule_in_one_tensor():
    """make_optimizer(capturable=True), for a step held in a CUDA graph: the learning rate is one tensor that the
    schedule fills in place, step by step the float the ordinary optimizer gets."""
    from sentiment.training import make_optimizer

    model = torch.nn.Linear(2, 1)
    plain, plain_schedule = make_optimizer(model, 2e-3, "cosine", 4)
    held, held_schedule = make_optimizer(model, 2e-3, "cosine", 4, capturable=True)
    lr = held.param_groups[0]["lr"]
    assert isinstance(lr, torch.Tensor) and held.defaults["capturable"]
    for _ in range(4):
        plain_schedule.step()
        held_schedule.step()
        assert held.param_groups[0]["lr"] is lr and float(lr) == pytest.approx(plain.param_groups[0]["lr"])
