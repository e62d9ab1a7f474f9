from sentiment.tokens import Tokenizer, clean


def test_markup_removed_and_offsets_kept():
    text = "Great.<br /><br />Really &amp; truly."
    cleaned, offsets = clean(text)
    assert "<br" not in cleaned and "&amp;" not in cleaned
    assert len(offsets) == len(cleaned) + 1
    assert cleaned[cleaned.index("&")] == "&" and text[offsets[cleaned.index("&")]:].startswith("&amp;")


def test_tokens_lowercased_without_markup_or_spaces():
    tok = Tokenizer()
    assert tok("Not BAD at all.<br /><br />The ending drags.") == [
        "not", "bad", "at", "all", ".", "the", "ending", "drags", "."]
    assert "/><br" not in tok("a<br />b<br/>c") and tok("a<br />b<br/>c") == ["a", "b", "c"]


def test_spans_point_into_the_original_text():
    text = "I didn't like it.<br /><br />  It&#39;s <i>dull</i>!"
    result = Tokenizer().tokenize(text)
    for token, (a, b) in zip(result.tokens, result.spans):
        original = text[a:b]
        assert original.lower() == token or ("&" in original and token == "'s"), (token, original)
    assert [text[a:b] for a, b in result.spans][:4] == ["I", "did", "n't", "like"]


def test_uppercase_kept_when_asked():
    assert Tokenizer(lowercase=False)("Good Film") == ["Good", "Film"]
