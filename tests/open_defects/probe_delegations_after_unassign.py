"""Probe: a delegation (转办) outlives the responsibility it was passed down from.

README (转办): a unit delegates an item only while "responsible for the item (lead or co-operating), or holding an
acknowledged delegation of it"; "Deleting a unit deletes the delegations it made or received and those passed on
from them". When the office takes the item away from the unit (DELETE /v1/items/{id}/responsibilities/{rid}), the
delegations it made stay active: its sub-unit keeps reporting on the item to a unit no longer answering for it, and
can even pass it further down."""

from __future__ import annotations


def test_taking_the_item_from_a_unit_ends_the_delegations_it_made(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert s.acknowledge(s.roads, made["id"]).status_code == 200
    duties = s.client.get(f"/v1/items/{s.t1}/responsibilities", headers=s.auth("office")).json()["data"]
    transport_duty = next(d["id"] for d in duties if d["unit_id"] == s.transport)
    removed = s.client.delete(f"/v1/items/{s.t1}/responsibilities/{transport_duty}", headers=s.auth("office"))
    assert removed.status_code == 204, removed.text
    # The transport bureau no longer answers for T1, so what it passed down should be withdrawn (or deleted) with it;
    # instead the delegation stays acknowledged and its delegate may delegate T1 further down (201).
    chain = s.chain(s.auth("office"), s.t1)
    further = s.delegate(s.roads, s.t1, s.section)
    assert (chain, further.status_code) in (([], 403), ([(s.transport, s.roads, "withdrawn")], 403)), (
        chain,
        further.text,
    )
