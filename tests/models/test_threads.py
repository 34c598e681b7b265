"""Threads for the embedded model: a core left for the rest of the machine, and OS1
processes that take turns instead of fighting over the cores."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from os1.config import Settings
from os1.models.threads import TakeTurns, auto_threads, choose_threads, physical_cores


def topology(root: Path, cores: dict[int, tuple[int, int]]) -> Path:
    """A fake /sys/devices/system/cpu: logical cpu -> (package, core)."""
    for cpu, (package, core) in cores.items():
        folder = root / f"cpu{cpu}" / "topology"
        folder.mkdir(parents=True)
        (folder / "physical_package_id").write_text(f"{package}\n")
        (folder / "core_id").write_text(f"{core}\n")
    return root


def test_hyperthread_siblings_count_as_one_core(tmp_path: Path) -> None:
    sys_cpu = topology(tmp_path, {0: (0, 0), 1: (0, 1), 2: (0, 0), 3: (0, 1)})
    assert physical_cores({0, 1, 2, 3}, sys_cpu) == 2
    assert auto_threads({0, 1, 2, 3}, sys_cpu) == 1


def test_auto_leaves_one_core_free_and_never_goes_below_one(tmp_path: Path) -> None:
    sys_cpu = topology(tmp_path, {i: (0, i) for i in range(8)})
    assert auto_threads(set(range(8)), sys_cpu) == 7
    assert auto_threads({3}, sys_cpu) == 1


def test_auto_never_exceeds_the_affinity_set(tmp_path: Path) -> None:
    sys_cpu = topology(tmp_path, {i: (0, i) for i in range(8)})
    assert auto_threads({0, 1, 2}, sys_cpu) == 2


def test_a_chosen_thread_count_is_kept_but_capped_by_the_allowed_cpus() -> None:
    assert choose_threads(3, {0, 1, 2, 3}) == 3
    assert choose_threads(16, {0, 1}) == 2
    assert choose_threads(0, {0}) == 1


def test_model_threads_is_a_setting_with_auto_by_default() -> None:
    assert Settings().model_threads == 0
    assert Settings(model_threads=2).model_threads == 2


def test_two_turn_takers_on_one_lock_file_generate_one_at_a_time(tmp_path: Path) -> None:
    # Two TakeTurns on one path stand for two OS1 processes: each opens the file itself.
    first, second = TakeTurns(tmp_path / "lock"), TakeTurns(tmp_path / "lock")
    order: list[str] = []
    entered = threading.Event()

    def hold() -> None:
        with first.turn():
            entered.set()
            order.append("first in")
            time.sleep(0.2)
            order.append("first out")

    worker = threading.Thread(target=hold)
    worker.start()
    entered.wait(5)
    with second.turn():
        order.append("second in")
    worker.join()
    assert order == ["first in", "first out", "second in"]


def test_taking_turns_can_be_turned_off(tmp_path: Path) -> None:
    first = TakeTurns(tmp_path / "lock")
    second = TakeTurns(tmp_path / "lock", enabled=False)
    with first.turn(), second.turn():
        pass  # no wait
