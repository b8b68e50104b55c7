"""Reading a new password on the command line (`hash-password`, `accounts`).

On a terminal it is asked for twice, without echo. Otherwise (a pipe, a
script, a container without a TTY) it is the first line of standard input,
read once: asking there would print getpass's warnings about echo and then
wait for a confirmation line that a script seldom sends.
"""

from __future__ import annotations

import sys

import click


def read_new_password() -> str:
    """The password typed twice on a terminal, else standard input's first
    line ("" at the end of input)."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")
