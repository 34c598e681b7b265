"""CPU threads for the embedded model on a machine that is doing other things too.

llama.cpp's worker threads spin-wait between steps: with one thread per core they fight every
other busy process (a 2.3 s turn took 99 s beside one), so OS1 leaves a core free. Two OS1
processes generating at once would still fight each other, so generations on one machine take
turns through an advisory lock file (flock: released by the kernel if a process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = "os1-llamacpp-{uid}.lock"
# flock is not fair: a process that generates back to back would take the lock again before a
# waiting one wakes. After its own turn, a process waits this long before asking again.
COURTESY_S = 0.05
SYS_CPU = Path("/sys/devices/system/cpu")


def usable_cpus() -> set[int]:
    """The CPUs this process may run on (its affinity set, e.g. under taskset or a cgroup)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


def physical_cores(cpus: set[int], sys_cpu: Path = SYS_CPU) -> int:
    """Distinct physical cores among `cpus`: hyperthread siblings count once."""
    cores: set[tuple[str, str]] = set()
    for cpu in cpus:
        topology = sys_cpu / f"cpu{cpu}" / "topology"
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return len(cpus)  # no topology (a container, another OS): count logical CPUs
        cores.add((package, core))
    return len(cores) or len(cpus)


def auto_threads(cpus: set[int] | None = None, sys_cpu: Path = SYS_CPU) -> int:
    """Physical cores less one for everything else, at least one, never more than allowed."""
    cpus = usable_cpus() if cpus is None else cpus
    return max(1, min(len(cpus), physical_cores(cpus, sys_cpu) - 1))


def choose_threads(setting: int | None, cpus: set[int] | None = None) -> int:
    """The `model_threads` setting (0 or None = auto), capped by the affinity set."""
    cpus = usable_cpus() if cpus is None else cpus
    if setting:
        return max(1, min(setting, len(cpus)))
    return auto_threads(cpus)


def lock_path() -> Path:
    """One lock per user and machine, in the runtime dir (tmpfs) when there is one."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / LOCK_NAME.format(uid=os.getuid())


class TakeTurns:
    """Generations on this machine run one at a time, across OS1 processes.

    A process's own threads queue on a thread lock first, so the file lock is taken once per
    generation; `enabled=False` makes it a no-op.
    """

    def __init__(self, path: Path | None = None, *, enabled: bool = True) -> None:
        self.path = path or lock_path()
        self.enabled = enabled
        self._local = threading.Lock()
        self._released = 0.0

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        with self._local:
            pause = self._released + COURTESY_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                yield  # an unwritable runtime dir must not stop the companion talking
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock
                self._released = time.monotonic()


_shared: dict[Path, TakeTurns] = {}
_shared_lock = threading.Lock()


def take_turns(enabled: bool = True) -> TakeTurns:
    """The process-wide turn-taker (models in one process share its thread lock)."""
    path = lock_path()
    with _shared_lock:
        turns = _shared.get(path)
        if turns is None:
            turns = _shared[path] = TakeTurns(path)
    return turns if enabled else TakeTurns(path, enabled=False)
