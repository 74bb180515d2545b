"""The table of the law's lunar holidays and 清明 (services/common/law_holidays.py) is what lunar-python computes."""

from datetime import date, timedelta

from lunar_python import Lunar, Solar

from services.common.law_holidays import LAW_YEARS, LUNAR_DAYS


def _solar(year: int, lunar_month: int, lunar_day: int) -> date:
    day = Lunar.fromYmd(year, lunar_month, lunar_day).getSolar()
    return date(day.getYear(), day.getMonth(), day.getDay())


def _computed(year: int) -> tuple[str, str, str, str]:
    """除夕 (the eve of 正月初一, whether the twelfth month had 29 days or 30), 清明, 端午, 中秋, as MM-DD."""
    qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    days = (
        _solar(year, 1, 1) - timedelta(days=1),
        date(qingming.getYear(), qingming.getMonth(), qingming.getDay()),
        _solar(year, 5, 5),
        _solar(year, 8, 15),
    )
    return tuple(day.strftime("%m-%d") for day in days)  # type: ignore[return-value]


def test_every_year_of_the_table_holds_the_days_lunar_python_computes():
    wrong = [f"    {year}: {_computed(year)!r}," for year in LAW_YEARS if LUNAR_DAYS.get(year) != _computed(year)]
    assert not wrong, "law_holidays.LUNAR_DAYS should read:\n" + "\n".join(wrong)


def test_the_table_holds_exactly_its_years():
    assert list(LUNAR_DAYS) == list(LAW_YEARS)
