"""A plan's structure validated a slice of each list at a time gives what validating the whole document gives."""

import sys

import orjson
import pytest

from services.common.contracts import sliced
from services.common.contracts.tasks import STRUCTURE_LISTS, PlanStructure
from services.common.peer_records import PeerError

PLAN = {"id": 1, "key": "p", "title": "方案", "starts_on": "2024-01-01", "ends_on": "2026-12-31", "status": "active"}
# Titles that hold the very bytes the document is cut at, as a title may: escaped, they are no cut.
TRICKY = ('a},{"id":2', 'x],"assignments":[', "},{", '"')


def item(n, tricky=True):
    title = TRICKY[n % len(TRICKY)] if tricky else f"事项{n}"
    found = {"id": n, "plan_id": 1, "parent_id": None, "key": f"I{n}", "kind": "task", "number": str(n)}
    return {**found, "title": title, "due_on": "2024-06-30", "status": "open", "closed_on": None}


def duty(n):
    return {"id": n, "item_id": n // 2 + 1, "unit_id": n % 7 + 1, "unit_name": f"单位{n % 7}", "role": "lead"}


def indicator(n):
    found = {"id": n, "item_id": n, "key": f"I{n}-x", "name": "指标", "measure": "%", "baseline": None}
    return {**found, "target": 100.0, "comparison": ">=", "target_date": "2024-12-31", "yearly_targets": {"2024": 5.0}}


LINK = {
    "item_id": 1,
    "serves_item_id": None,
    "reference": "国发〔2024〕1号",
    "number": "",
    "title": "t",
    "plan_title": "源",
}


def _structure(body):
    """The structure validated from its bytes, a slice of each list at a time."""
    return sliced.validate_in_slices(PlanStructure, body, STRUCTURE_LISTS)


def document(**lists):
    found = {"plan": PLAN, "items": [], "assignments": [], "indicators": [], "links": []}
    return orjson.dumps({**found, **lists})


@pytest.fixture(autouse=True)
def small_slices(monkeypatch):
    monkeypatch.setattr(sliced, "SLICE_BYTES", 300)  # a few records a slice


def test_the_structure_in_slices_equals_the_whole_document_validated():
    body = document(
        items=[item(n) for n in range(1, 60)],
        assignments=[duty(n) for n in range(1, 90)],
        indicators=[indicator(n) for n in range(1, 30)],
        links=[{**LINK, "plan_title": "源"}],
    )
    assert _structure(body) == PlanStructure.model_validate_json(body)


def test_empty_lists_stay_empty():
    assert _structure(document()) == PlanStructure.model_validate_json(document())


def test_a_document_in_another_order_is_validated_whole_alike():
    body = orjson.dumps({"links": [], "items": [item(1)], "plan": PLAN, "assignments": [], "indicators": []})
    assert _structure(body) == PlanStructure.model_validate_json(body)


def test_a_record_outside_the_contract_is_the_peers_503_as_before():
    body = document(items=[item(n) for n in range(1, 20)] + [{**item(20), "id": "twenty"}])
    with pytest.raises(PeerError):
        _structure(body)


def test_the_lists_are_the_structures_own():
    assert set(STRUCTURE_LISTS) == set(PlanStructure.model_fields) - {"plan"}


def test_a_document_as_tasks_api_writes_it_is_never_validated_whole(monkeypatch):
    def whole(*_args, **_kwargs):
        raise AssertionError("validated whole")

    body = document(items=[item(n, tricky=False) for n in range(1, 60)], assignments=[duty(n) for n in range(1, 90)])
    expected = PlanStructure.model_validate_json(body)
    monkeypatch.setattr(PlanStructure, "model_validate_json", whole)
    assert _structure(body) == expected


def held_elsewhere(text):
    """References to `text` beyond the caller's variable and getrefcount's argument: a parser's cache would be one."""
    return sys.getrefcount(text) - 3  # the caller's name, this parameter, getrefcount's argument


def test_a_value_parsed_in_slices_is_not_kept_by_the_parser_once_its_record_is_gone():
    # pydantic-core caches the short strings it parses, values too by default, in one process-wide cache: kept after
    # a plan's parse, they pinned its memory (services/common/peer_records.PEER_PARSING).
    structure = _structure(document(items=[{**item(n, tricky=False), "title": f"唯一的标题{n}"} for n in range(1, 60)]))
    title = structure.items[7].title
    del structure
    assert held_elsewhere(title) == 0


def test_a_value_of_a_peer_record_is_not_kept_by_the_parser_once_the_record_is_gone():
    plan = PlanStructure.model_validate_json(document(plan={**PLAN, "title": "只此一份的方案标题"}))
    title = plan.plan.title
    del plan
    assert held_elsewhere(title) == 0


def shared_structure():
    return _structure(
        document(
            items=[item(n, tricky=False) for n in range(1, 40)],
            assignments=[duty(n) for n in range(1, 60)],
            indicators=[indicator(n) for n in range(1, 20)],
        )
    )


def test_an_item_id_its_responsibilities_and_indicators_refer_to_is_one_object():
    structure = shared_structure()
    by_id = {item.id: item.id for item in structure.items}
    assert all(duty.item_id is by_id[duty.item_id] for duty in structure.assignments)
    assert all(indicator.item_id is by_id[indicator.item_id] for indicator in structure.indicators)


def test_a_unit_id_and_a_date_many_records_repeat_are_one_object_each():
    structure = shared_structure()
    assert len({id(duty.unit_id) for duty in structure.assignments}) == 7
    assert len({id(item.due_on) for item in structure.items}) == 1
    assert len({id(indicator.target_date) for indicator in structure.indicators}) == 1


def test_sharing_changes_no_value():
    body = document(items=[item(n) for n in range(1, 40)], assignments=[duty(n) for n in range(1, 60)])
    unshared = PlanStructure.model_validate_json(body)  # no table: each value its own object
    assert _structure(body) == unshared
    assert len({id(item.due_on) for item in unshared.items}) == len(unshared.items)


def test_the_table_of_shared_values_goes_with_the_parse():
    structure = shared_structure()
    date = structure.items[0].due_on
    held = sys.getrefcount(date)
    del structure
    assert sys.getrefcount(date) == held - len(range(1, 40))  # only the records held it: no table outlives them


def chunks_of(body, size):
    return [body[at : at + size] for at in range(0, len(body), size)]


def fed(chunks):
    """The structure of a document fed to a ChunkedDocument chunk by chunk, as the peer client feeds it."""
    document = sliced.ChunkedDocument(PlanStructure, STRUCTURE_LISTS)
    for chunk in chunks:
        document.feed(chunk)
    return document.finish()


def structure_in_chunks(body, size):
    return fed(chunks_of(body, size))


def tricky_document():
    return document(
        items=[item(n) for n in range(1, 60)],
        assignments=[duty(n) for n in range(1, 90)],
        indicators=[indicator(n) for n in range(1, 30)],
        links=[LINK],
    )


@pytest.mark.parametrize("size", [1, 3, 17, 64, 299, 1000, 100_000])
def test_a_structure_read_in_chunks_equals_the_whole_document_validated(size):
    body = tricky_document()
    assert structure_in_chunks(body, size) == PlanStructure.model_validate_json(body)


def test_a_chunked_document_holds_no_more_json_than_a_slice_and_a_chunk_at_a_time():
    body = document(items=[item(n, tricky=False) for n in range(1, 300)], assignments=[duty(n) for n in range(1, 400)])
    document_ = sliced.ChunkedDocument(PlanStructure, STRUCTURE_LISTS)
    held = []
    for chunk in chunks_of(body, 100):
        document_.feed(chunk)
        held.append(len(document_.head) + len(document_.reader.pending if document_.reader else b""))
    assert document_.finish() == PlanStructure.model_validate_json(body)
    assert len(body) > 40_000 and max(held) < 2 * sliced.SLICE_BYTES + 100


def test_a_structure_in_chunks_is_never_held_whole(monkeypatch):
    body = document(items=[item(n, tricky=False) for n in range(1, 60)], assignments=[duty(n) for n in range(1, 90)])
    expected = PlanStructure.model_validate_json(body)
    validate = PlanStructure.model_validate_json

    def skeleton_only(data, **options):
        assert len(data) < 1000, "validated whole"
        return validate(data, **options)

    monkeypatch.setattr(PlanStructure, "model_validate_json", skeleton_only)
    assert structure_in_chunks(body, 64) == expected


def test_chunks_of_a_document_that_ends_in_white_space_give_the_same_structure():
    body = tricky_document() + b"\n"
    assert structure_in_chunks(body, 40) == PlanStructure.model_validate_json(body)


def test_chunks_of_an_older_peer_without_the_last_list_give_it_empty():
    body = orjson.dumps({"plan": PLAN, "items": [item(1)], "assignments": [duty(1)], "indicators": []})
    assert structure_in_chunks(body, 10) == PlanStructure.model_validate_json(body)


def test_chunks_of_a_document_of_another_start_are_validated_whole_alike():
    body = orjson.dumps({"links": [], "items": [item(1)], "plan": PLAN, "assignments": [], "indicators": []})
    assert structure_in_chunks(body, 10) == PlanStructure.model_validate_json(body)


def test_a_record_outside_the_contract_in_chunks_is_the_peers_503():
    body = document(items=[item(n) for n in range(1, 20)] + [{**item(20), "id": "twenty"}])
    with pytest.raises(PeerError, match="outside its contract"):
        structure_in_chunks(body, 50)


def test_a_document_cut_short_is_the_peers_503():
    body = tricky_document()
    with pytest.raises(PeerError):
        structure_in_chunks(body[: len(body) // 2], 50)


def test_chunks_share_ids_and_dates_as_a_whole_document_does():
    structure = structure_in_chunks(tricky_document(), 37)
    by_id = {item.id: item.id for item in structure.items}
    assert all(duty.item_id is by_id[duty.item_id] for duty in structure.assignments)
    assert len({id(item.due_on) for item in structure.items}) == 1


@pytest.mark.parametrize(
    "added",
    [
        {"count": 5},  # a field after the lists
        {"extra": [{"id": 1}, {"id": 2}]},  # a list after them
    ],
)
def test_chunks_of_a_peer_that_adds_fields_after_the_lists_give_the_same_structure(added):
    body = orjson.dumps({**orjson.loads(tricky_document()), **added})
    assert structure_in_chunks(body, 40) == PlanStructure.model_validate_json(body)


def test_chunks_of_a_peer_that_adds_a_list_between_the_lists_give_the_same_structure():
    lists = orjson.loads(tricky_document())
    body = orjson.dumps({"plan": PLAN, "items": lists["items"], "extra": [{"a": 1}, {"b": [2]}], **lists})
    assert structure_in_chunks(body, 40) == PlanStructure.model_validate_json(body)
