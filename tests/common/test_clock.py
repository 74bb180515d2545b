"""The one business clock (services/common/clock.py): what it reads, and that nothing else reads the system clock."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.common import clock
from tests.common.test_authentication import CLAIMS, bearer, signed

SERVICES = Path(__file__).resolve().parents[2] / "services"
CLOCK = SERVICES / "common" / "clock.py"
# (object, attribute) pairs whose call reads the system clock or the local time zone.
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def _dotted(node: ast.expr) -> tuple[str, str] | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
        return node.value.attr, node.attr  # datetime.datetime.now
    return None


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name in CLOCK_READS:
            found.append(f"{path.name}:{node.lineno}: {'.'.join(name)}()")
        callee = node.func.id if isinstance(node.func, ast.Name) else name[1] if name else None
        if callee == "ZoneInfo":
            found.append(f"{path.name}:{node.lineno}: ZoneInfo(...) (use clock.SHANGHAI)")
    return found


def test_only_the_clock_module_reads_the_system_clock_or_names_a_time_zone():
    offences = [
        f"{path.parent.name}/{o}" for path in sorted(SERVICES.rglob("*.py")) if path != CLOCK for o in _offences(path)
    ]
    assert offences == []


def test_the_guard_catches_each_kind_of_clock_read(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime, time\nfrom zoneinfo import ZoneInfo\n"
        "a = datetime.datetime.now()\nb = datetime.date.today()\nc = time.time()\n"
        "d = ZoneInfo('Asia/Shanghai')\n",
        encoding="utf-8",
    )
    assert len(_offences(sample)) == 4


def test_now_is_aware_utc():
    moment = clock.now()
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


def test_frozen_moves_now_and_epoch_seconds_and_restores_them():
    at = datetime(2026, 12, 3, 8, 15, tzinfo=UTC)
    with clock.frozen(at):
        assert clock.now() == at
        assert clock.epoch_seconds() == at.timestamp()
    assert clock.now() != at


def test_frozen_takes_any_offset_and_answers_in_utc():
    with clock.frozen(datetime(2026, 12, 4, 0, 1, tzinfo=clock.SHANGHAI)) as at:
        assert at == datetime(2026, 12, 3, 16, 1, tzinfo=UTC)
        assert clock.now().tzinfo is UTC


def test_frozen_refuses_a_naive_instant():
    with pytest.raises(ValueError), clock.frozen(datetime(2026, 12, 3, 8, 0)):  # noqa: DTZ001 - naive on purpose
        pass


def test_frozen_blocks_nest():
    outer, inner = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    with clock.frozen(outer):
        with clock.frozen(inner):
            assert clock.now() == inner
        assert clock.now() == outer


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 12, 3, 15, 59, tzinfo=UTC), date(2026, 12, 3)),  # 23:59 Beijing
        (datetime(2026, 12, 3, 16, 1, tzinfo=UTC), date(2026, 12, 4)),  # 00:01 Beijing, still the 3rd in UTC
        (datetime(2026, 12, 3, 16, 1), date(2026, 12, 4)),  # noqa: DTZ001 - naive is UTC, as the databases keep it
        (datetime(2026, 12, 4, 1, 0, tzinfo=timezone(timedelta(hours=9))), date(2026, 12, 4)),
    ],
)
def test_business_date_is_the_beijing_calendar_day(instant, day):
    assert clock.business_date(instant) == day


def test_business_today_turns_at_beijing_midnight_not_utc_midnight():
    with clock.frozen(datetime(2026, 12, 3, 15, 59, tzinfo=UTC)):
        assert clock.business_today() == date(2026, 12, 3)
    with clock.frozen(datetime(2026, 12, 3, 16, 1, tzinfo=UTC)):
        assert clock.business_today() == date(2026, 12, 4)


def test_tokens_are_judged_on_the_one_clock(tasks_client, auth):
    """A token's exp is read against clock.now(): valid while the clock says so, refused once it has passed."""
    headers = auth("viewer")  # minted now, 30 days of life
    with clock.frozen(datetime(2019, 12, 31, 16, 1, tzinfo=UTC)):
        assert tasks_client.get("/v1/plans", headers=headers).status_code == 200
    with clock.frozen(clock.now() + timedelta(days=31)):
        assert tasks_client.get("/v1/plans", headers=headers).status_code == 401


def test_a_token_that_is_not_valid_yet_on_the_clock_is_refused(tasks_client):
    token = signed({**CLAIMS, "nbf": int(clock.epoch_seconds()) + 300})
    assert tasks_client.get("/v1/plans", headers=bearer(token)).status_code == 401
    with clock.frozen(clock.now() + timedelta(seconds=400)):  # past nbf, before exp (600 s)
        assert tasks_client.get("/v1/plans", headers=bearer(token)).status_code == 200


def test_a_day_outside_the_supported_years_is_moved_to_their_nearest_edge():
    assert clock.within_supported_years(date(1969, 7, 4)) == date(1970, 1, 1)
    assert clock.within_supported_years(date(2201, 3, 1)) == date(2200, 12, 31)
    assert clock.within_supported_years(date(2024, 6, 30)) == date(2024, 6, 30)
