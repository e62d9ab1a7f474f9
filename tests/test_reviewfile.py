"""Reading a visitor's file of reviews, scoring it, and writing the results; every bad file gets one sentence."""

import csv

import pytest

from sentiment import load_model
from sentiment.reviewfile import ReviewFileError, read_reviews, results_csv, score


@pytest.fixture(scope="module")
def clf():
    return load_model()


def test_txt_is_one_review_per_line_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_bytes("\ufeffGreat film.\r\n\r\nAwful, just awful.\n   \nFine, I suppose.".encode())
    r = read_reviews(path)
    assert r.texts == ["Great film.", "Awful, just awful.", "Fine, I suppose."]
    assert r.places == [1, 3, 5] and r.place == "line" and r.skipped == 2


def test_csv_takes_the_text_or_review_column_or_its_only_one(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text('id,Review,stars\n1,"Great, and funny.\nTwo lines.",5\n2,,3\n3,Dull.,1\n', encoding="utf-8")
    r = read_reviews(path)
    assert r.texts == ["Great, and funny.\nTwo lines.", "Dull."] and r.places == [1, 3] and r.place == "row"
    assert r.skipped == 1
    only = tmp_path / "only.csv"
    only.write_text("comment\nLovely.\nBad.\n")
    assert read_reviews(only).texts == ["Lovely.", "Bad."]


@pytest.mark.parametrize("name, data, expected", [
    ("a.csv", b"id,stars\n1,5\n", 'no column named text or review (its columns: "id", "stars")'),
    ("a.txt", b"", "holds no reviews"),
    ("a.txt", b"\n  \n\n", "holds no reviews"),
    ("a.csv", b"text\n", "holds no reviews"),
    ("a.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not a text file"),
    ("a.txt", "caf\u00e9 cr\u00e8me".encode("latin-1"), "not UTF-8 text"),
    ("a.pdf", b"%PDF-1.4", "is not a .txt or .csv file"),
])
def test_bad_files_get_one_sentence(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ReviewFileError) as err:
        read_reviews(path)
    message = str(err.value)
    assert expected in message and "\n" not in message and name in message


def test_limits_on_size_and_count_are_stated(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("A fine film.\n" * 300)
    with pytest.raises(ReviewFileError, match=r"big.txt is 3.9 kB; files of up to 1.0 kB can be scored"):
        read_reviews(path, max_bytes=1000)
    with pytest.raises(ReviewFileError, match=r"holds 300 reviews; up to 100 can be scored at once"):
        read_reviews(path, max_reviews=100)
    with pytest.raises(ReviewFileError, match="could not be read"):
        read_reviews(tmp_path / "gone.txt")


def test_scores_equal_predict_proba_and_the_csv_holds_them(tmp_path, clf):
    path = tmp_path / "mine.txt"
    texts = ["Great film, I loved it.", "<br /><br />", "Dull and far too long.", "It was not bad at all."]
    path.write_text("\n".join(texts))
    reviews = read_reviews(path)
    done = []
    probabilities = score(clf, reviews, batch_size=2, on_batch=done.append)
    assert probabilities[1] is None and sum(done) == 4  # markup only: no words, counted as done
    expected = clf.predict_proba([texts[0], texts[2], texts[3]])
    assert [probabilities[i] for i in (0, 2, 3)] == pytest.approx(expected, abs=1e-6)
    out = results_csv(reviews, probabilities, tmp_path / "out.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["line"] for r in rows] == ["1", "2", "3", "4"] and [r["text"] for r in rows] == texts
    assert rows[1]["p_positive"] == "" and rows[1]["label"] == "no words"
    assert float(rows[0]["p_positive"]) == pytest.approx(expected[0], abs=1e-6) and rows[0]["label"] == "positive"
