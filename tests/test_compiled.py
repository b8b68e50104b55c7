"""The compiled build: its module list, and that CI's compiled stage runs it.

`.ci/run` runs the whole suite twice: on the editable install (plain Python,
the README's command) and on a `HUBBUB_COMPILE=1` install with
HUBBUB_EXPECT_COMPILED=1, where every hot-path module must be the C extension
built by mypyc, so that the suite tests the code that is deployed.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubbub import compiled

ROOT = Path(__file__).resolve().parent.parent


def test_every_listed_module_exists_once() -> None:
    assert len(set(compiled.MODULES)) == len(compiled.MODULES)
    for name in compiled.MODULES:
        module = importlib.import_module(name)
        assert module.__name__ == name


def test_setup_reads_the_same_list() -> None:
    # setup.py parses compiled.py rather than importing hubbub; both must agree.
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, sys; sys.argv = ['setup.py', '--version']; "
            "ns = runpy.run_path('setup.py', run_name='not_main'); "
            "print(','.join(ns['hot_path_modules']()))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == ",".join(compiled.MODULES)


def test_describe_says_what_runs() -> None:
    count = len(compiled.compiled_modules())
    described = compiled.describe()
    if count:
        assert described == (
            f"compiled (mypyc), {count} of {len(compiled.MODULES)} hot-path modules"
        )
    else:
        assert described == "pure Python"


@pytest.mark.skipif(
    os.environ.get("HUBBUB_EXPECT_COMPILED") != "1",
    reason="runs in .ci/run's compiled stage (HUBBUB_EXPECT_COMPILED=1)",
)
def test_the_compiled_build_runs_every_hot_module_compiled() -> None:
    assert compiled.compiled_modules() == list(compiled.MODULES)
