"""The roll-ups' memo: an answer is reused only for inputs equal to the ones it was computed from."""

from services.reporting_api.oversight.memo import InputMemo


def test_an_answer_is_reused_for_equal_inputs():
    memo = InputMemo(size=2)
    memo.keep("plan 2", [("T9", "submitted")], "answer")
    assert memo.get("plan 2", [("T9", "submitted")]) == "answer"


def test_an_answer_is_not_reused_once_an_input_differs():
    memo = InputMemo(size=2)
    memo.keep("plan 2", [("T9", "draft")], "answer")
    assert memo.get("plan 2", [("T9", "submitted")]) is None


def test_the_least_recently_used_answer_is_dropped_beyond_the_size():
    memo = InputMemo(size=2)
    memo.keep("plan 1", "inputs", "first")
    memo.keep("plan 2", "inputs", "second")
    memo.get("plan 1", "inputs")
    memo.keep("plan 3", "inputs", "third")
    assert (memo.get("plan 1", "inputs"), memo.get("plan 2", "inputs")) == ("first", None)


def test_answers_beyond_the_rows_in_all_are_dropped_least_recently_used_first():
    memo = InputMemo(size=8, rows=100)
    memo.keep("plan 1", "inputs", "first", rows=60)
    memo.keep("plan 2", "inputs", "second", rows=30)
    memo.get("plan 1", "inputs")
    memo.keep("plan 3", "inputs", "third", rows=30)
    assert [memo.get(f"plan {n}", "inputs") for n in (1, 2, 3)] == ["first", None, "third"]


def test_an_answer_of_more_rows_than_the_bound_is_not_kept():
    memo = InputMemo(size=8, rows=100)
    memo.keep("plan 1", "inputs", "largest", rows=101)
    assert memo.get("plan 1", "inputs") is None


def test_what_is_derived_from_equal_inputs_is_derived_once():
    memo, derived = InputMemo(size=4), []
    for _ in range(3):
        found = memo.derived("plan 2 lights", ("rows",), lambda: derived.append(1) or len(derived))
    assert (found, len(derived)) == (1, 1)


def test_what_is_derived_is_derived_again_once_an_input_differs():
    memo = InputMemo(size=4)
    memo.derived("plan 2 lights", ("rows",), lambda: "from the first rows")
    assert memo.derived("plan 2 lights", ("rows changed",), lambda: "from the new rows") == "from the new rows"
    assert memo.get("plan 2 lights", ("rows changed",)) == "from the new rows"
