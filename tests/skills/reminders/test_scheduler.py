"""The scheduler fires each reminder once, on time or marked late, across restarts and crashes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from os1.events import Notification
from os1.skills.reminders import book, firing
from tests.skills.reminders.conftest import Clock, World, make_world

LONDON = ZoneInfo("Europe/London")
WED_10 = datetime(2026, 3, 25, 10, 0, tzinfo=LONDON)


def test_a_reminder_fires_at_its_time_and_not_before(world: World) -> None:
    world.remind("in 20 minutes to check the oven", WED_10)
    clock = Clock(WED_10)
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick(clock.set(WED_10 + timedelta(minutes=19))).fired == 0
        assert world.arrived() == []
        report = scheduler.tick(clock.set(WED_10 + timedelta(minutes=20)))
        assert (report.fired, report.late) == (1, 0)
        scheduler.tick(clock.set(WED_10 + timedelta(minutes=30)))
    [message] = world.arrived()
    assert message["text"] == "Reminder: check the oven"
    assert message["late"] is False
    assert message["proactive"] == "reminder"
    assert datetime.fromisoformat(message["due_at"]) == WED_10 + timedelta(minutes=20)
    assert book.listed(world.store()) == []  # fired: no longer upcoming


def test_open_interfaces_are_told_as_it_fires(world: World) -> None:
    heard: list[Notification] = []
    world.notifier.subscribe("local", heard.append)
    world.notifier.subscribe("someone-else", lambda n: pytest.fail("wrong user told"))
    world.remind("in 5 minutes to stretch", WED_10)
    clock = Clock(WED_10 + timedelta(minutes=5))
    with world.scheduler(clock) as scheduler:
        scheduler.tick()
    assert [(n.kind, n.text, n.late) for n in heard] == [("reminder", "Reminder: stretch", False)]


def test_each_user_gets_only_their_own_reminders(world: World) -> None:
    world.remind("in 5 minutes to call Ana", WED_10, user="ana")
    world.remind("in 5 minutes to call Ben", WED_10, user="ben")
    clock = Clock(WED_10 + timedelta(minutes=5))
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick().fired == 2
    assert [m["text"] for m in world.arrived("ana")] == ["Reminder: call Ana"]
    assert [m["text"] for m in world.arrived("ben")] == ["Reminder: call Ben"]
    assert book.listed(world.store("ana"), include_all=True)[0].text == "call Ana"


def test_missed_reminders_arrive_once_late_after_a_restart(world: World) -> None:
    for hours in (1, 2, 3):
        world.remind(f"in {hours} hours to do task {hours}", WED_10)
    clock = Clock(WED_10 + timedelta(hours=1))
    with world.scheduler(clock) as first:
        assert first.tick().fired == 1
    # Down for four hours; a new process starts at 15:00 (outside quiet hours).
    clock.set(WED_10 + timedelta(hours=5))
    with world.scheduler(clock) as second:
        report = second.tick()
        assert (report.fired, report.late) == (2, 2)
        assert second.tick().fired == 0
    with world.scheduler(clock) as third:
        assert third.tick(clock.set(WED_10 + timedelta(hours=6))).fired == 0
    arrived = world.arrived()
    assert [m["text"].rsplit(": ", 1)[-1] for m in arrived] == [
        "do task 1",
        "do task 2",
        "do task 3",
    ]
    assert [m["late"] for m in arrived] == [False, True, True]
    assert arrived[1]["text"].startswith("Reminder (late — it was due Wed 25 Mar at 12:00)")


def test_a_crash_before_delivery_loses_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.remind("in 10 minutes to take the cake out", WED_10)
    clock = Clock(WED_10 + timedelta(minutes=10))

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies after the claim was committed

    with monkeypatch.context() as patch, world.scheduler(clock) as doomed:
        patch.setattr(firing, "deliver", crash)
        with pytest.raises(KeyboardInterrupt):
            doomed.tick()
    assert world.arrived() == []
    with world.scheduler(clock) as restarted:
        # Within the lease a still-running scheduler might be delivering it: leave it alone.
        assert restarted.tick(clock.set(WED_10 + timedelta(minutes=11))).recovered == 0
        assert restarted.tick(clock.set(WED_10 + timedelta(minutes=20))).recovered == 1
        assert restarted.tick(clock.set(WED_10 + timedelta(minutes=30))).recovered == 0
    [message] = world.arrived()
    assert message["text"] == "Reminder (late — it was due Wed 25 Mar at 10:10): take the cake out"
    assert message["late"] is True


def test_a_crash_after_delivery_does_not_deliver_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.remind("in 10 minutes to take the cake out", WED_10)
    clock = Clock(WED_10 + timedelta(minutes=10))

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # stored and published, but the firing not yet marked

    with monkeypatch.context() as patch, world.scheduler(clock) as doomed:
        patch.setattr(firing, "_confirm", crash)
        with pytest.raises(KeyboardInterrupt):
            doomed.tick()
    assert len(world.arrived()) == 1
    with world.scheduler(clock) as restarted:
        assert restarted.tick(clock.set(WED_10 + timedelta(hours=1))).recovered == 0
        assert restarted.tick(clock.set(WED_10 + timedelta(hours=2))).fired == 0
    assert len(world.arrived()) == 1
    rows = world.store().query("SELECT state, message_id FROM reminder_firings")
    assert [(r["state"], r["message_id"] is not None) for r in rows] == [("delivered", True)]


def test_two_schedulers_on_one_database_fire_each_reminder_once(world: World) -> None:
    for n in range(40):
        world.remind(f"in {n + 1} minutes to do thing {n}", WED_10, user=f"u{n % 4}")
    clock = Clock(WED_10 + timedelta(hours=1))
    a, b = world.scheduler(clock), world.scheduler(clock)
    try:
        threads = [threading.Thread(target=s.tick) for s in (a, b, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        a.stop()
        b.stop()
    texts = [m["text"] for u in range(4) for m in world.arrived(f"u{u}")]
    assert len(texts) == 40
    assert len(set(texts)) == 40


def test_every_day_at_9_fires_at_9_local_across_the_clock_change(world: World) -> None:
    start = datetime(2026, 3, 26, 12, 0, tzinfo=LONDON)  # clocks go forward on Sunday 29th
    world.remind("every day at 9 to stretch", start)
    clock = Clock(start)
    with world.scheduler(clock) as scheduler:
        for day in range(27, 32):
            nine = datetime(2026, 3, day, 9, 0, tzinfo=LONDON)
            assert scheduler.tick(clock.set(nine - timedelta(minutes=1))).fired == 0
            assert scheduler.tick(clock.set(nine)).fired == 1
    due = [datetime.fromisoformat(m["due_at"]) for m in world.arrived()]
    assert [d.astimezone(LONDON).strftime("%d %H:%M") for d in due] == [
        "27 09:00",
        "28 09:00",
        "29 09:00",
        "30 09:00",
        "31 09:00",
    ]
    assert [d.utcoffset() for d in due] == [timedelta(0)] * 2 + [timedelta(hours=1)] * 3
    assert not any(m["late"] for m in world.arrived())


def test_a_repeating_reminder_missed_for_days_arrives_once_then_carries_on(world: World) -> None:
    world.remind("every day at 9 to take my pills", WED_10)
    clock = Clock(datetime(2026, 3, 29, 11, 0, tzinfo=LONDON))  # missed 26th, 27th, 28th, 29th
    with world.scheduler(clock) as scheduler:
        report = scheduler.tick()
        assert (report.fired, report.late) == (1, 1)
        assert scheduler.tick().fired == 0
    [message] = world.arrived()
    assert message["text"] == (
        "Reminder (late — it was due Thu 26 Mar at 09:00, and 3 more times since): take my pills"
    )
    [upcoming] = book.listed(world.store())
    assert upcoming.due == datetime(2026, 3, 30, 9, 0, tzinfo=LONDON)


def test_a_reminder_set_for_quiet_hours_still_fires_on_time(world: World) -> None:
    world.remind("at 23:30 to take the pill", WED_10)
    clock = Clock(datetime(2026, 3, 25, 23, 30, tzinfo=LONDON))
    with world.scheduler(clock) as scheduler:
        assert scheduler.tick().fired == 1


def test_a_late_reminder_waits_out_quiet_hours_unless_urgent(world: World) -> None:
    world.remind("at 21:00 to water the plants", WED_10)
    world.remind("urgent: at 21:00 to take the medicine", WED_10)
    clock = Clock(datetime(2026, 3, 26, 2, 0, tzinfo=LONDON))  # back at 2am
    with world.scheduler(clock) as scheduler:
        report = scheduler.tick()
        assert (report.fired, report.held) == (1, 1)
        assert world.arrived()[0]["text"].endswith(": take the medicine")
        assert scheduler.tick(clock.set(datetime(2026, 3, 26, 7, 59, tzinfo=LONDON))).fired == 0
        report = scheduler.tick(clock.set(datetime(2026, 3, 26, 8, 0, tzinfo=LONDON)))
        assert (report.fired, report.late) == (1, 1)
    assert [m["late"] for m in world.arrived()] == [True, True]


def test_tick_report_counts_each_user_once(world: World) -> None:
    world.remind("in 1 minute to a", WED_10, user="ana")
    world.remind("in 2 minutes to b", WED_10, user="ana")
    with world.scheduler(Clock(WED_10)) as scheduler:
        report = scheduler.tick(WED_10 + timedelta(minutes=5))
    assert report.users == {"ana"}
    assert report.fired == 2


def test_a_cancelled_or_done_reminder_never_fires(world: World) -> None:
    first = world.remind("in 5 minutes to a", WED_10)
    second = world.remind("in 5 minutes to b", WED_10)
    book.finish(world.store(), first.id, "cancelled")
    book.finish(world.store(), second.id, "done")
    with world.scheduler(Clock(WED_10)) as scheduler:
        assert scheduler.tick(WED_10 + timedelta(hours=1)).fired == 0
    assert world.arrived() == []


def test_the_scheduler_thread_fires_by_itself(world: World) -> None:
    world.remind("in 1 minute to breathe", datetime.now(UTC) - timedelta(minutes=1))
    heard = threading.Event()
    world.notifier.subscribe("local", lambda note: heard.set())
    scheduler = world.scheduler(Clock(datetime.now(UTC)))
    scheduler.interval = 0.2
    scheduler.start()
    try:
        assert heard.wait(timeout=20)
    finally:
        scheduler.stop()
    assert [m["text"] for m in world.arrived()] == ["Reminder: breathe"]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dues=st.lists(st.integers(min_value=1, max_value=360), min_size=1, max_size=12),
    ticks=st.lists(st.integers(min_value=0, max_value=420), min_size=1, max_size=15),
    restarts=st.sets(st.integers(min_value=0, max_value=14), max_size=4),
)
def test_any_schedule_of_ticks_and_restarts_delivers_each_reminder_exactly_once(
    tmp_path_factory: pytest.TempPathFactory,
    dues: list[int],
    ticks: list[int],
    restarts: set[int],
) -> None:
    home = tmp_path_factory.mktemp("prop")
    world = make_world(home, proactive={"quiet_hours": "off"})
    noon = datetime(2026, 3, 28, 12, 0, tzinfo=LONDON)
    try:
        for n, minutes in enumerate(dues):
            world.remind(f"in {minutes} minutes to task {n}", noon, user=f"u{n % 3}")
        clock = Clock(noon)
        scheduler = world.scheduler(clock)
        moments = sorted(ticks) + [500]  # a last tick after everything is due
        for i, minutes in enumerate(moments):
            if i in restarts:
                scheduler.stop()
                scheduler = world.scheduler(clock)
            scheduler.tick(clock.set(noon + timedelta(minutes=minutes)))
        scheduler.stop()
        arrived = [m for u in range(3) for m in world.arrived(f"u{u}")]
        tasks = sorted(m["text"].rsplit(": ", 1)[-1] for m in arrived)
        assert tasks == sorted(f"task {n}" for n in range(len(dues)))
        for m in arrived:
            n = int(m["text"].rsplit(" ", 1)[-1])
            fired_at = min(t for t in moments if t >= dues[n])
            assert m["late"] == (fired_at - dues[n] > 5)
    finally:
        world.close()


def test_a_daily_reminder_in_the_repeated_autumn_hour_fires_once_that_night(world: World) -> None:
    # 25 October 2026: London's 01:00-02:00 happens twice; "every day at 1:30" fires once.
    world.remind(
        "every day at 1:30am to check the boiler", datetime(2026, 10, 24, 12, tzinfo=LONDON)
    )
    clock = Clock(datetime(2026, 10, 24, 12, tzinfo=LONDON))
    moment = clock.now
    with world.scheduler(clock) as scheduler:
        while moment < datetime(2026, 10, 26, 3, tzinfo=UTC):
            moment += timedelta(minutes=15)
            scheduler.tick(clock.set(moment))
    due = [datetime.fromisoformat(m["due_at"]).astimezone(UTC) for m in world.arrived()]
    assert [d.isoformat() for d in due] == [
        "2026-10-25T00:30:00+00:00",  # 01:30 BST, the first of the two
        "2026-10-26T01:30:00+00:00",  # 01:30 GMT
    ]
    assert not any(m["late"] for m in world.arrived())
