"""Reading a process's CPU and memory from /proc (bench/procstat.py)."""

from __future__ import annotations

import os
import threading
import time

from hubbub.bench.procstat import sample_process


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_another_threads_cpu_counts_for_the_process_not_its_main_thread() -> None:
    before = sample_process(os.getpid())
    worker = threading.Thread(target=_spin, args=(0.3,))
    worker.start()
    worker.join()
    after = sample_process(os.getpid())
    total = after.cpu_seconds - before.cpu_seconds
    main = after.main_thread_cpu_seconds - before.main_thread_cpu_seconds
    assert total - main >= 0.2  # the worker's 0.3 s, to the clock tick
    assert main < 0.2  # the main thread only waited for it


def test_the_main_threads_cpu_is_its_own_and_the_processs() -> None:
    before = sample_process(os.getpid())
    _spin(0.3)
    after = sample_process(os.getpid())
    main = after.main_thread_cpu_seconds - before.main_thread_cpu_seconds
    assert main >= 0.2
    # The process's and the thread's times are each rounded to clock ticks.
    assert after.cpu_seconds - before.cpu_seconds >= main - 0.025
    assert after.rss_bytes > 1_000_000  # a Python process holds megabytes
