"""Words for search (services/common/segment.py): Chinese cut into words, queries that are only words, snippets."""

from services.common.segment import MAX_QUERY_WORDS, index_words, query_words, snippet


def test_a_text_is_indexed_under_its_words_the_words_inside_them_and_its_characters():
    words = index_words(["推进长三角一体化发展", None, ""]).split()
    assert {"长三角", "一体化", "发展", "推进"} <= set(words)
    assert {"长", "三", "角"} <= set(words)  # a word the dictionary lacks is still found by its characters
    assert len(words) == len(set(words))


def test_texts_are_normalised_and_case_folded_and_punctuation_is_no_word():
    words = set(index_words(["ＡＰＰ上线，5G网络！“数字化”"]).split())
    assert {"app", "5g", "网络", "数字化"} <= words
    assert not words & {"，", "！", "“", "”"}


def test_fields_are_not_run_together():
    assert "程序员" not in index_words(["程", "序员"]).split()


def test_a_query_is_cut_into_dictionary_words():
    assert query_words("长三角一体化") == ["长三角", "一体化"]
    assert query_words("推进 推进") == ["推进"]


def test_operators_quotes_and_symbols_of_any_query_language_are_no_words():
    for hostile in ['"', "*", "NEAR(a b)", "a:b", "a OR b", "' OR 1=1 --", "%_\\", "\x00", "😀", "<script>"]:
        words = query_words(hostile)
        assert all(word.isalnum() for word in words), (hostile, words)
    assert query_words("***") == []
    assert query_words("NEAR(数字化 改革)") == ["near", "数字化", "改革"]


def test_a_long_query_asks_for_its_first_words():
    assert len(query_words(" ".join(f"词{n}" for n in range(30)))) == MAX_QUERY_WORDS


def test_a_snippet_marks_the_words_around_the_first_hit_and_escapes_the_rest():
    text = "<b>开头</b>" + "很长的前文" * 20 + "推进长三角一体化" + "后文" * 100
    piece = snippet([None, "无关", text], ["长三角", "一体化"])
    assert "<mark>长三角</mark><mark>一体化</mark>" in piece
    assert piece.startswith("…") and piece.endswith("…")
    assert "<b>" not in snippet([text], ["开头"]) and "&lt;b&gt;<mark>开头</mark>" in snippet([text], ["开头"])


def test_a_snippet_without_a_written_hit_is_the_start_of_the_first_text():
    assert snippet(["", "第一段", "第二段"], ["不在"]) == "第一段"
    assert snippet([], ["不在"]) == ""
