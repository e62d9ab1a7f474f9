from sentiment.tokens import Tokenizer, clean


def test_markup_removed_and_offsets_kept():
    text = "Great.<br /><br />Really &amp; truly."
    cleaned, sources = clean(text)
    assert "<br" not in cleaned and "&amp;" not in cleaned
    assert len(sources) == len(cleaned) + 1
    start, end = sources[cleaned.index("&")]
    assert cleaned[cleaned.index("&")] == "&" and text[start:end] == "&amp;"


def test_tokens_lowercased_without_markup_or_spaces():
    tok = Tokenizer()
    assert tok.tokenize("Not BAD at all.<br /><br />The ending drags.").tokens == [
        "not", "bad", "at", "all", ".", "the", "ending", "drags", "."]
    assert tok.tokenize("a<br />b<br/>c").tokens == ["a", "b", "c"]


def test_corpus_and_inference_read_the_same_tokens():
    """The corpus is tokenized with `pipe`, a review at inference with `tokenize`: one rule for both."""
    texts = ["Not BAD at all.<br /><br />The  ending\n drags.", "  It&#39;s <i>dull</i>!\t\tReally &amp; truly ",
             "<br />", "Mr. Smith's 2nd film, 10/10 -- wow!!"]
    for lowercase in (True, False):
        tok = Tokenizer(lowercase)
        assert list(tok.pipe(texts)) == [tok.tokenize(t).tokens for t in texts]


def test_spans_point_into_the_original_text():
    text = "I didn't like it.<br /><br />  It&#39;s <i>dull</i>!"
    result = Tokenizer().tokenize(text)
    for token, (a, b) in zip(result.tokens, result.spans):
        original = text[a:b]
        assert original.lower() == token or ("&" in original and token == "'s"), (token, original)
    assert [text[a:b] for a, b in result.spans][:4] == ["I", "did", "n't", "like"]


def test_uppercase_kept_when_asked():
    assert Tokenizer(lowercase=False).tokenize("Good Film").tokens == ["Good", "Film"]


def test_an_entity_token_spans_the_whole_entity():
    """A typed "&lt;" is one token "<" whose span covers all four characters, so the page colours it as one piece."""
    text = "a &lt;great&gt; film &amp; it&#39;s"
    t = Tokenizer().tokenize(text)
    pieces = [text[a:b] for a, b in t.spans]
    assert t.tokens == ["a", "<", "great", ">", "film", "&", "it", "'s"]
    assert pieces == ["a", "&lt;", "great", "&gt;", "film", "&amp;", "it", "&#39;s"]
