import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sentiment import evaluate, load_model, predict

ROOT = Path(__file__).resolve().parents[1]


def test_evaluate_matches_the_training_run(tiny_model_dir, imdb_dir, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert evaluate.main(["--model", str(tiny_model_dir), "--data", str(imdb_dir), "--out", str(out),
                          "--cache-dir", str(tmp_path / "c"), "--device", "cpu"]) == 0
    result = json.loads(out.read_text())
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert result["accuracy"] == metrics["test"]["accuracy"]
    assert result["loss"] == pytest.approx(metrics["test"]["loss"], abs=1e-6)
    assert sum(result["confusion"].values()) == 6
    assert "actual neg" in capsys.readouterr().out


def test_scores_by_hand():
    s = evaluate.scores(np.array([1, 1, 0, 0, 1]), np.array([2.0, -1.0, -3.0, 0.5, 0.1]), loss=0.3)
    assert s["confusion"] == {"true_negative": 1, "false_positive": 1, "false_negative": 1, "true_positive": 2}
    assert s["accuracy"] == 0.6 and s["precision"] == 2 / 3 and s["recall"] == 2 / 3


def test_predict_cli_prints_csv(tiny_model_dir, tmp_path):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("A great film, I loved it.\n\n<br /><br />\nAwful, boring, a waste, \"truly\".\n")
    result = subprocess.run([sys.executable, "-m", "sentiment.predict", str(reviews), "--model", str(tiny_model_dir)],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "probability,label,text" and len(lines) == 3
    clf = load_model(tiny_model_dir)
    p = clf.predict_proba(["A great film, I loved it."])[0]
    assert lines[1].startswith(f"{p:.4f},")
    assert lines[2].endswith('"Awful, boring, a waste, ""truly""."')
    assert "skipped '<br /><br />': The review has no words" in result.stderr


def test_predict_cli_missing_file(tmp_path, capsys):
    assert predict.main([str(tmp_path / "none.txt")]) == 2
    assert "No such file" in capsys.readouterr().err
