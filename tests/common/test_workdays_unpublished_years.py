"""Working days in a year the official calendar does not know yet (chinesecalendar 1.11.0 knows 2004-2026).

The yearly State Council notice, and with it the 调休, is unknown (official=False), but the statutory holidays are
fixed by 《全国年节及纪念日放假办法》 (revised 2024, in force from 2025) and are not working days: 2027's New Year's
Day is Friday 1 January, 除夕 Friday 5 February, 初三 Monday 8 February, National Day Friday 1 October.
"""

from collections import Counter
from datetime import date

import chinese_calendar
import pytest
from chinese_calendar import Holiday

from services.common import workdays


@pytest.mark.parametrize(
    "day",
    [date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 10, 1)],
    ids=["new-year-friday", "spring-festival-eve-friday", "spring-festival-day-3-monday", "national-day-friday"],
)
def test_the_laws_holidays_of_an_unpublished_year_are_not_working_days_and_say_so(day):
    assert workdays.check(day) == workdays.WorkdayAnswer(is_workday=False, official=False)


def test_an_unpublished_year_counts_other_weekdays_as_working_days_and_weekends_as_not():
    assert workdays.check(date(2027, 1, 4)) == workdays.WorkdayAnswer(is_workday=True, official=False)  # Monday
    # Monday 4 October: the yearly notice will most likely join it to National Day (调休), but it is not published
    assert workdays.check(date(2027, 10, 4)) == workdays.WorkdayAnswer(is_workday=True, official=False)
    assert workdays.check(date(2030, 10, 5)) == workdays.WorkdayAnswer(is_workday=False, official=False)  # Saturday


def test_the_laws_holidays_of_2027():
    assert workdays.statutory_holidays(2027) == {
        date(2027, 1, 1),  # 元旦
        *(date(2027, 2, day) for day in (5, 6, 7, 8)),  # 春节: 除夕 5 February, 正月初一 6 February … 初三
        date(2027, 4, 5),  # 清明
        date(2027, 5, 1),  # 劳动节
        date(2027, 5, 2),
        date(2027, 6, 9),  # 端午 (五月初五)
        date(2027, 9, 15),  # 中秋 (八月十五)
        *(date(2027, 10, day) for day in (1, 2, 3)),  # 国庆节
    }


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_laws_holidays_are_holidays_of_the_same_festival_in_the_years_the_official_calendar_knows(year):
    # the rule checked against the State Council's notices: each day it computes is a holiday there, of its festival
    festivals = [chinese_calendar.get_holiday_detail(day) for day in workdays.statutory_holidays(year)]
    assert all(is_holiday for is_holiday, _ in festivals)
    assert Counter(name for _, name in festivals) == {
        Holiday.new_years_day.value: 1,
        Holiday.spring_festival.value: 4,
        Holiday.tomb_sweeping_day.value: 1,
        Holiday.labour_day.value: 2,
        Holiday.dragon_boat_festival.value: 1,
        Holiday.mid_autumn_festival.value: 1,
        Holiday.national_day.value: 3,
    }


def test_the_revised_law_gives_no_days_to_the_years_before_it():
    assert workdays.statutory_holidays(2024) == frozenset()
