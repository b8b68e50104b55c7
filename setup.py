"""hubbub's build: setuptools (pyproject.toml), and mypyc when asked.

With HUBBUB_COMPILE=1 in the environment, the hot-path modules listed in
src/hubbub/compiled.py are compiled to C extension modules by mypyc (from
mypy, which checks the same type annotations in CI). Without it, nothing is
compiled and hubbub is plain Python. buildsys/hubbub_build.py, the build
backend, adds mypy and hubbub's dependencies to the build requirements when
compiling (mypyc needs their types) and never compiles an editable install.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).parent


def hot_path_modules() -> list[str]:
    """The `MODULES` tuple of src/hubbub/compiled.py, read without importing it."""
    tree = ast.parse((HERE / "src" / "hubbub" / "compiled.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "MODULES":
            return list(ast.literal_eval(node.value))
    raise SystemExit("setup.py: no MODULES in src/hubbub/compiled.py")


def extensions() -> list[Extension]:
    if os.environ.get("HUBBUB_COMPILE", "0") != "1":
        return []
    from mypyc.build import mypycify

    paths = [f"src/{name.replace('.', '/')}.py" for name in hot_path_modules()]
    return mypycify(paths, opt_level="3")


setup(ext_modules=extensions())
