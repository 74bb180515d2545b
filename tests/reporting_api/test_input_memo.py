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
