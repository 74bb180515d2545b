"""Working days follow the official calendar, 调休 included, and say when they had to guess."""

from datetime import date, timedelta

from services.common.workdays import WorkdayAnswer, add_workdays, check, next_workday, workdays_between


def test_spring_festival_2024_holidays_are_not_working_days():
    assert not check(date(2024, 2, 12)).is_workday  # Monday in the Spring Festival holiday


def test_make_up_sundays_of_spring_festival_2024_are_working_days():
    assert check(date(2024, 2, 4)).is_workday  # Sunday 调休
    assert check(date(2024, 2, 18)).is_workday  # Sunday 调休


def test_saturday_14_february_2026_is_a_working_day():
    assert check(date(2026, 2, 14)) == WorkdayAnswer(is_workday=True, official=True)


def test_next_workday_skips_the_whole_spring_festival_holiday():
    assert next_workday(date(2024, 2, 10)) == (date(2024, 2, 18), True)


def test_working_days_across_spring_festival_2024_count_the_make_up_days():
    # After Thu 02-08 up to Mon 02-19: Fri 02-09 works, 02-10..02-17 is the holiday, Sun 02-18 is 调休.
    assert workdays_between(date(2024, 2, 8), date(2024, 2, 19)) == (3, True)


def test_adding_working_days_backwards_and_forwards_agree():
    later, _ = add_workdays(date(2024, 2, 9), 1)
    assert later == date(2024, 2, 18)
    assert add_workdays(later, -1)[0] == date(2024, 2, 9)


def test_counting_from_running_counts_agrees_with_walking_day_by_day():
    first = date(2003, 12, 30)  # 2003 … 2031: days the official calendar knows and days it does not
    walked, guessed = [0], [0]  # working and guessed days among the first n days after `first`, walked one by one
    for n in range(1, 10_000):
        answer = check(first + timedelta(days=n))
        walked.append(walked[-1] + answer.is_workday)
        guessed.append(guessed[-1] + (not answer.official))
    for a in range(0, 10_000, 97):
        for b in range(0, 10_000, 31):
            low, high = min(a, b), max(a, b)
            count = walked[high] - walked[low]
            expected = (count if a <= b else -count, guessed[high] == guessed[low])
            assert workdays_between(first + timedelta(days=a), first + timedelta(days=b)) == expected, (a, b)


def test_no_days_between_a_day_and_itself():
    assert workdays_between(date(2030, 6, 1), date(2030, 6, 1)) == (0, True)
