"""The browser client's JavaScript unit tests (tests/web/js), run by node.

`node --test` runs each file; irc.test.mjs checks web/static/src/irc.js
against tests/data/message_cases.json, the cases protocol/message.py passes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = sorted((Path(__file__).parent / "js").glob("*.test.mjs"))
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("test_file", JS_TESTS, ids=lambda path: path.name)
def test_javascript_unit_tests_pass(test_file: Path) -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--test", "--test-reporter=tap", str(test_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout


def test_every_javascript_test_file_is_found() -> None:
    names = {path.name for path in JS_TESTS}
    assert {"irc.test.mjs", "state.test.mjs", "commands.test.mjs"} <= names
