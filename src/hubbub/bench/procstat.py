"""Reading a process's CPU time and memory from /proc (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """CPU seconds (user + system) and resident memory of one process; the
    CPU seconds of its main thread alone (the rest is its other threads');
    and the system part of its CPU: the time the kernel spent on its behalf
    (its socket reads and writes, file writes), which the same traffic costs
    any server about alike."""

    cpu_seconds: float
    rss_bytes: int
    main_thread_cpu_seconds: float
    system_cpu_seconds: float


def _cpu_times(stat: str) -> tuple[float, float]:
    """(user + system, system) CPU seconds from a /proc .../stat line."""
    # The command name (field 2) may hold spaces; fields after it are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLOCK_TICKS, stime / _CLOCK_TICKS


def sample_process(pid: int) -> ProcessSample:
    """Read /proc/<pid>/stat, /proc/<pid>/task/<pid>/stat and /proc/<pid>/status.

    Raises:
        OSError: the process does not exist or /proc is unavailable.
    """
    cpu, system = _cpu_times(Path(f"/proc/{pid}/stat").read_text())
    main, _ = _cpu_times(Path(f"/proc/{pid}/task/{pid}/stat").read_text())
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
            break
    return ProcessSample(cpu, rss_kb * 1024, main, system)


def own_cpu_seconds() -> float:
    """This process's CPU seconds (user + system)."""
    times = os.times()
    return times.user + times.system
