"""Reading a process's CPU and memory from /proc (bench/procstat.py)."""

from __future__ import annotations

import os
import threading
import time

from hubbub.bench.procstat import sample_process


def _spin(seconds: float) -> None:
    """Busy in this thread for `seconds` of its CPU, nearly all user time
    (reading a thread's CPU clock is a system call: it is read rarely)."""
    end = time.thread_time() + seconds
    total = 0
    while time.thread_time() < end:
        for number in range(100_000):
            total += number


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


def test_kernel_time_is_told_apart_from_the_processs_own() -> None:
    before = sample_process(os.getpid())
    _spin(0.3)  # user time only
    middle = sample_process(os.getpid())
    # Copying zeros out of /dev/zero is the kernel's work, done for us.
    with open("/dev/zero", "rb", buffering=0) as zeros:
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            zeros.read(1 << 20)
    after = sample_process(os.getpid())
    assert middle.system_cpu_seconds - before.system_cpu_seconds < 0.1
    system = after.system_cpu_seconds - middle.system_cpu_seconds
    assert system >= 0.15
    assert system <= after.cpu_seconds - middle.cpu_seconds + 0.025
