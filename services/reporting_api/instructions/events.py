"""The instruction.* events in the outbox (services/common/events/instructions.py): what each says of its
instruction, and the mentions (@) at issue time and in replies, one instruction.mentioned per unit."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.contracts.tasks import TasksClient
from services.common.outbox import emit
from services.common.problems import NotFound, Unprocessable
from services.reporting_api.db import outbox_events
from services.reporting_api.instructions.repository import InstructionRow, ReplyRow
from services.reporting_api.instructions.schemas import InstructionEvent


def instruction_event(row: InstructionRow) -> InstructionEvent:
    """The data of an instruction.* event: which instruction, on which item, for which unit (the lead unit,
    or for instruction.mentioned the unit mentioned)."""
    return {
        "instruction_id": row["id"],
        "plan_id": row["plan_id"],
        "item_id": row["item_id"],
        "item_number": row["item_number"],
        "item_title": row["item_title"],
        "report_id": row["report_id"],
        "unit_id": row["lead_unit_id"],
        "unit_name": row["lead_unit_name"],
        "lead_unit_id": row["lead_unit_id"],
        "author_name": row["author_name"],
        "author_title": row["author_title"],
        "text": row["text"],
        "answer_by": row["answer_by"],
    }


async def unit_names(tasks: TasksClient, mentions: list[int], known: Mapping[int, str]) -> dict[int, str]:
    """The name of each unit mentioned, in the order given: from `known`, else asked of tasks_api (422 when it
    does not exist). Before any transaction: no connection is held across a peer call."""
    names: dict[int, str] = {}
    for unit_id in dict.fromkeys(mentions):
        if unit_id in known:
            names[unit_id] = known[unit_id]
            continue
        try:
            names[unit_id] = (await tasks.unit(unit_id)).name
        except NotFound as exc:
            raise Unprocessable(f"Unit {unit_id} does not exist.", at=("body", "mentions")) from exc
    return names


async def emit_mentions(
    conn: AsyncConnection, row: InstructionRow, names: Mapping[int, str], reply: ReplyRow | None = None
) -> None:
    """instruction.mentioned for each unit mentioned (@), at issue time or in `reply` (its id, author and text)."""
    for unit_id, name in names.items():
        mention = instruction_event(row)
        mention["unit_id"], mention["unit_name"] = unit_id, name
        if reply is not None:
            mention["reply_id"], mention["replied_by"], mention["reply"] = reply["id"], reply["author"], reply["text"]
        await emit(conn, outbox_events, "instruction.mentioned", mention)
