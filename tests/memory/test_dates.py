"""Time phrases in queries and statements resolve to the right ranges, and nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os1.memory.dates import (
    DISTANT_FUTURE,
    DISTANT_PAST,
    TimeRange,
    find_time_ranges,
    parse_session_datetime,
    strip_time_expressions,
)

# Monday 8 May 2023, 14:00: the reference for the table below.
REF = datetime(2023, 5, 8, 14, 0)


def d(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour)


def only(text: str, reference: datetime = REF) -> TimeRange:
    found = find_time_ranges(text, reference)
    assert len(found) == 1, f"{text!r} gave {found}"
    return found[0]


PHRASES: list[tuple[str, datetime, datetime]] = [
    # days and parts of days
    ("today", d(2023, 5, 8), d(2023, 5, 9)),
    ("tonight", d(2023, 5, 8, 18), d(2023, 5, 9, 6)),
    ("this morning", d(2023, 5, 8, 6), d(2023, 5, 8, 12)),
    ("this afternoon", d(2023, 5, 8, 12), d(2023, 5, 8, 18)),
    ("this evening", d(2023, 5, 8, 18), d(2023, 5, 9)),
    ("yesterday", d(2023, 5, 7), d(2023, 5, 8)),
    ("yesterday morning", d(2023, 5, 7, 6), d(2023, 5, 7, 12)),
    ("last night", d(2023, 5, 7, 18), d(2023, 5, 8, 6)),
    ("the day before yesterday", d(2023, 5, 6), d(2023, 5, 7)),
    ("tomorrow", d(2023, 5, 9), d(2023, 5, 10)),
    ("day after tomorrow", d(2023, 5, 10), d(2023, 5, 11)),
    ("earlier today", d(2023, 5, 8), REF),
    # calendar weeks, months, years, weekends
    ("last week", d(2023, 5, 1), d(2023, 5, 8)),
    ("this week", d(2023, 5, 8), d(2023, 5, 15)),
    ("next week", d(2023, 5, 15), d(2023, 5, 22)),
    ("last month", d(2023, 4, 1), d(2023, 5, 1)),
    ("this month", d(2023, 5, 1), d(2023, 6, 1)),
    ("next month", d(2023, 6, 1), d(2023, 7, 1)),
    ("last year", d(2022, 1, 1), d(2023, 1, 1)),
    ("this year", d(2023, 1, 1), d(2024, 1, 1)),
    ("next year", d(2024, 1, 1), d(2025, 1, 1)),
    ("last weekend", d(2023, 5, 6), d(2023, 5, 8)),
    ("this weekend", d(2023, 5, 13), d(2023, 5, 15)),
    ("next weekend", d(2023, 5, 20), d(2023, 5, 22)),
    ("over the weekend", d(2023, 5, 6), d(2023, 5, 8)),
    ("the week before last", d(2023, 4, 24), d(2023, 5, 1)),
    ("earlier this year", d(2023, 1, 1), REF),
    ("later this month", REF, d(2023, 6, 1)),
    # counted and vague distances
    ("3 days ago", d(2023, 5, 5), d(2023, 5, 6)),
    ("two weeks ago", d(2023, 4, 24), d(2023, 5, 1)),
    ("a month ago", d(2023, 4, 1), d(2023, 5, 1)),
    ("5 months ago", d(2022, 12, 1), d(2023, 1, 1)),
    ("a year ago", d(2022, 1, 1), d(2023, 1, 1)),
    ("a few days ago", d(2023, 5, 4), d(2023, 5, 7)),
    ("a couple of weeks ago", d(2023, 4, 17), d(2023, 5, 1)),
    ("recently", d(2023, 4, 24), REF),
    ("lately", d(2023, 4, 24), REF),
    ("in the past week", d(2023, 5, 1), REF),
    ("over the last 3 days", d(2023, 5, 5), REF),
    ("the next two days", REF, d(2023, 5, 11)),
    ("three days from now", d(2023, 5, 11), d(2023, 5, 12)),
    ("the other day", d(2023, 5, 1), d(2023, 5, 8)),
    # weekdays (the reference is itself a Monday)
    ("last Monday", d(2023, 5, 1), d(2023, 5, 2)),
    ("on Friday", d(2023, 5, 5), d(2023, 5, 6)),
    ("Sunday", d(2023, 5, 7), d(2023, 5, 8)),
    ("next Tuesday", d(2023, 5, 9), d(2023, 5, 10)),
    ("this Friday", d(2023, 5, 12), d(2023, 5, 13)),
    ("Saturday night", d(2023, 5, 6, 18), d(2023, 5, 7, 6)),
    # months and explicit dates
    ("in May", d(2023, 5, 1), d(2023, 6, 1)),
    ("in June", d(2022, 6, 1), d(2022, 7, 1)),
    ("January", d(2023, 1, 1), d(2023, 2, 1)),
    ("last May", d(2022, 5, 1), d(2022, 6, 1)),
    ("next March", d(2024, 3, 1), d(2024, 4, 1)),
    ("May 2023", d(2023, 5, 1), d(2023, 6, 1)),
    ("8 May 2023", d(2023, 5, 8), d(2023, 5, 9)),
    ("8 May, 2023", d(2023, 5, 8), d(2023, 5, 9)),
    ("May 8, 2023", d(2023, 5, 8), d(2023, 5, 9)),
    ("May 8th", d(2023, 5, 8), d(2023, 5, 9)),
    ("8th of May", d(2023, 5, 8), d(2023, 5, 9)),
    ("Dec 24", d(2022, 12, 24), d(2022, 12, 25)),
    ("2023-05-08", d(2023, 5, 8), d(2023, 5, 9)),
    ("2023-05-08T09:30:00Z", d(2023, 5, 8), d(2023, 5, 9)),
    ("in 2022", d(2022, 1, 1), d(2023, 1, 1)),
    ("the 1990s", d(1990, 1, 1), d(2000, 1, 1)),
    ("on the 3rd", d(2023, 5, 3), d(2023, 5, 4)),
    # seasons, thirds, openings
    ("last summer", d(2022, 6, 1), d(2022, 9, 1)),
    ("last winter", d(2022, 12, 1), d(2023, 3, 1)),
    ("last spring", d(2022, 3, 1), d(2022, 6, 1)),
    ("last fall", d(2022, 9, 1), d(2022, 12, 1)),
    ("last autumn", d(2022, 9, 1), d(2022, 12, 1)),
    ("this summer", d(2023, 6, 1), d(2023, 9, 1)),
    ("in the summer of 2021", d(2021, 6, 1), d(2021, 9, 1)),
    ("early May", d(2023, 5, 1), d(2023, 5, 11)),
    ("mid-May", d(2023, 5, 11), d(2023, 5, 21)),
    ("late May", d(2023, 5, 21), d(2023, 6, 1)),
    ("at the end of last year", d(2022, 9, 1), d(2023, 1, 1)),
    ("since March", d(2023, 3, 1), REF),
    ("since last week", d(2023, 5, 1), REF),
    ("between March and April", d(2023, 3, 1), d(2023, 5, 1)),
    ("from 2019 to 2021", d(2019, 1, 1), d(2022, 1, 1)),
    ("before May", DISTANT_PAST, d(2023, 5, 1)),
    ("after 2020", d(2021, 1, 1), DISTANT_FUTURE),
    # holidays
    ("at Christmas", d(2022, 12, 25), d(2022, 12, 26)),
    ("last Easter", d(2023, 4, 9), d(2023, 4, 10)),
    ("Thanksgiving 2022", d(2022, 11, 24), d(2022, 11, 25)),
]


@pytest.mark.parametrize(("text", "start", "end"), PHRASES, ids=[p[0] for p in PHRASES])
def test_phrase_resolves_against_a_monday_in_may(text: str, start: datetime, end: datetime) -> None:
    found = only(text)
    assert (found.start, found.end) == (start, end)


def test_statement_said_on_8_may_places_yesterday_on_7_may() -> None:
    found = only("I went to the LGBTQ support group yesterday.")
    assert (found.start, found.end, found.text) == (d(2023, 5, 7), d(2023, 5, 8), "yesterday")


def test_text_is_the_phrase_with_its_meaningful_modifier() -> None:
    assert only("what did I do last week?").text == "last week"
    assert only("I've been vegan since March").text == "since March"
    assert only("we met in early May").text == "early May"


# --- boundaries ---------------------------------------------------------------------------


def test_last_month_on_new_years_day_is_december_of_the_year_before() -> None:
    found = only("last month", datetime(2024, 1, 1, 9))
    assert (found.start, found.end) == (d(2023, 12, 1), d(2024, 1, 1))


def test_last_week_across_a_year_boundary() -> None:
    found = only("last week", datetime(2024, 1, 3))
    assert (found.start, found.end) == (d(2023, 12, 25), d(2024, 1, 1))


def test_a_year_ago_on_a_leap_day_is_the_year_before() -> None:
    found = only("a year ago", datetime(2024, 2, 29, 12))
    assert (found.start, found.end) == (d(2023, 1, 1), d(2024, 1, 1))


def test_the_past_year_on_a_leap_day_clamps_to_28_february() -> None:
    found = only("the past year", datetime(2024, 2, 29, 12))
    assert (found.start, found.end) == (d(2023, 2, 28), datetime(2024, 2, 29, 12))


def test_a_month_ago_on_31_march_clamps_into_february() -> None:
    found = only("a month ago", datetime(2023, 3, 31))
    assert (found.start, found.end) == (d(2023, 2, 1), d(2023, 3, 1))


def test_late_february_ends_with_the_leap_day() -> None:
    found = only("late February 2024")
    assert (found.start, found.end) == (d(2024, 2, 21), d(2024, 3, 1))


def test_29_february_without_a_year_is_the_last_leap_day() -> None:
    found = only("on 29 February", datetime(2023, 5, 8))
    assert (found.start, found.end) == (d(2020, 2, 29), d(2020, 3, 1))


def test_a_month_not_yet_reached_this_year_is_last_years() -> None:
    found = only("in December", datetime(2023, 5, 8))
    assert found.start == d(2022, 12, 1)
    found = only("in December", datetime(2023, 12, 31))
    assert found.start == d(2023, 12, 1)


def test_next_week_across_a_year_boundary() -> None:
    found = only("next week", datetime(2023, 12, 28))
    assert (found.start, found.end) == (d(2024, 1, 1), d(2024, 1, 8))


def test_last_winter_in_january_is_the_winter_before_the_current_one() -> None:
    found = only("last winter", datetime(2023, 1, 15))
    assert (found.start, found.end) == (d(2021, 12, 1), d(2022, 3, 1))


def test_an_impossible_day_falls_back_to_its_month_and_an_impossible_iso_date_to_nothing() -> None:
    found = only("on 31 February 2023")
    assert (found.start, found.end, found.text) == (d(2023, 2, 1), d(2023, 3, 1), "February 2023")
    assert find_time_ranges("2023-13-45", REF) == []


def test_an_aware_reference_gives_aware_ranges_in_its_zone() -> None:
    tz = timezone(timedelta(hours=-7))
    found = only("yesterday", datetime(2023, 5, 8, 14, tzinfo=tz))
    assert found.start == datetime(2023, 5, 7, tzinfo=tz)
    assert found.end.tzinfo is tz


# --- things that are not times -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "May I ask you something?",
        "may I come in",
        "Will you help me?",
        "March on, soldiers!",
        "June said she would call",
        "I talked to August about it",
        "between you and May",
        "April is my sister",
        "it took a year of therapy",
        "a Christmas tree",
        "I love summer",
        "these 2 may help",
        "May 5 people come?",
        "I walked 2022 steps",
        "the 3rd floor",
        "I sat down",
    ],
)
def test_non_time_words_produce_no_range(text: str) -> None:
    assert find_time_ranges(text, REF) == []


def test_a_modal_may_does_not_hide_the_month_later_in_the_question() -> None:
    found = find_time_ranges("May I ask what you did in May?", REF)
    assert [(r.text, r.start) for r in found] == [("May", d(2023, 5, 1))]


# --- several phrases --------------------------------------------------------------------------


def test_multiple_expressions_in_one_sentence_come_in_order() -> None:
    found = find_time_ranges(
        "I saw her yesterday, again last Friday, and we first met in March 2021.", REF
    )
    assert [(r.text, r.start, r.end) for r in found] == [
        ("yesterday", d(2023, 5, 7), d(2023, 5, 8)),
        ("last Friday", d(2023, 5, 5), d(2023, 5, 6)),
        ("March 2021", d(2021, 3, 1), d(2021, 4, 1)),
    ]


def test_the_longest_phrase_wins_over_its_parts() -> None:
    found = only("on Monday, May 8, 2023")
    assert (found.start, found.text) == (d(2023, 5, 8), "Monday, May 8, 2023")


# --- stripping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what did I do last week?", "what did I do?"),
        ("I went to the support group yesterday", "I went to the support group"),
        ("What did we talk about in early May?", "What did we talk about?"),
        ("since March I've been running", "I've been running"),
        ("we moved back in 2015", "we moved"),
        ("yesterday's meeting ran long", "meeting ran long"),
        ("May I ask about the trip?", "May I ask about the trip?"),
        ("before the trip", "before the trip"),
        ("no time here", "no time here"),
    ],
)
def test_strip_time_expressions_leaves_the_rest(text: str, expected: str) -> None:
    assert strip_time_expressions(text) == expected


# --- session timestamps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56)),
        ("10:37 am on 27 June, 2023", datetime(2023, 6, 27, 10, 37)),
        ("12:05 am on 1 January, 2024", datetime(2024, 1, 1, 0, 5)),
        ("12:30 pm on 1 January, 2024", datetime(2024, 1, 1, 12, 30)),
        ("2023-05-08", datetime(2023, 5, 8)),
        ("2023-05-08T10:37:00", datetime(2023, 5, 8, 10, 37)),
        ("2023-05-08T10:37:00Z", datetime(2023, 5, 8, 10, 37, tzinfo=UTC)),
        (
            "2023-05-08T10:37:00+02:00",
            datetime(2023, 5, 8, 10, 37, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_parse_session_datetime_reads_locomo_and_iso(text: str, expected: datetime) -> None:
    parsed = parse_session_datetime(text)
    assert parsed == expected
    assert parsed is not None and (parsed.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize("text", ["", "yesterday", "13:00 pm on 8 May, 2023", "31 February, 2023"])
def test_parse_session_datetime_rejects_what_it_cannot_read(text: str) -> None:
    assert parse_session_datetime(text) is None


# --- robustness and speed -----------------------------------------------------------------

_WORDS = [
    "last", "next", "this", "week", "weekend", "May", "march", "in", "since", "before", "after",
    "early", "late", "mid-", "of", "the", "8th", "2023", "31", "29", "February", "ago", "a few",
    "days", "years", "Monday", "summer", "winter", "between", "and", "to", "Christmas", "'90s",
    "yesterday", "tonight", "2024-02-30", "9999", "1800", "recently", ",", "?", "-",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=4)), max_size=12).map(
            " ".join
        ),
    ),
    reference=st.datetimes(min_value=datetime(1801, 1, 1), max_value=datetime(2198, 12, 31)),
    offset_minutes=st.one_of(st.none(), st.integers(min_value=-14 * 60, max_value=14 * 60)),
)
def test_find_time_ranges_never_raises_and_every_range_is_nonempty(
    text: str, reference: datetime, offset_minutes: int | None
) -> None:
    if offset_minutes is not None:
        reference = reference.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    for found in find_time_ranges(text, reference):
        assert found.start < found.end
        assert (found.start.tzinfo is None) == (reference.tzinfo is None)
        assert found.text and found.text in text
    strip_time_expressions(text)


def test_extreme_references_do_not_raise() -> None:
    for reference in (datetime.min, datetime.max):
        for found in find_time_ranges("yesterday, next year, 3 weeks ago, since May", reference):
            assert found.start < found.end
