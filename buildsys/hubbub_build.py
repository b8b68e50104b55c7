"""hubbub's build backend: setuptools's, plus what mypyc needs to compile.

`HUBBUB_COMPILE=1 pip install .` builds the hot path with mypyc (setup.py).
mypyc type-checks what it compiles, so the isolated build environment then
needs mypy and hubbub's own dependencies (for their types) as well as
setuptools. An editable install is never compiled: it must run the .py files
being edited, not extension modules built from an older copy of them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the rest of PEP 517 as is)


def _compiling() -> bool:
    return os.environ.get("HUBBUB_COMPILE", "0") == "1"


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    compiling = _compiling()
    # setuptools runs setup.py to find its own requirements: before mypy is
    # installed, so with compilation off for that run.
    os.environ["HUBBUB_COMPILE"] = "0"
    try:
        requires = list(_setuptools.get_requires_for_build_wheel(config_settings))
    finally:
        os.environ["HUBBUB_COMPILE"] = "1" if compiling else "0"
    if compiling:
        project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
        requires += ["mypy>=1.10", *project["dependencies"]]
    return requires


def build_editable(
    wheel_directory: str,
    config_settings: Any = None,
    metadata_directory: str | None = None,
) -> str:
    os.environ["HUBBUB_COMPILE"] = "0"
    return str(
        _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    )
