"""The hot path that a compiled build turns into C, and whether this one did.

`HUBBUB_COMPILE=1 pip install .` compiles these modules with mypyc (see
setup.py): the same typed source, run as C extension modules, which about
halves the server's CPU per fan-out delivery and cuts a third off a private
message (benchmarks/RESULTS.md). They are
what every message goes through: the TCP session, framing, parsing, dispatch,
the command table and the PRIVMSG handler, its events, delivery and outboxes,
the state they read,
history recording, the group commit's queue, and the building of the blocks
that history writes (in the writer's thread, which holds the interpreter
lock while it builds them).
An editable install, or any install without HUBBUB_COMPILE=1, runs the same
modules as plain Python; the behaviour is the same, and the tests run on both.
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES

# Read by setup.py (keep it a literal tuple of module names).
MODULES = (
    "hubbub.protocol.casemap",
    "hubbub.protocol.framing",
    "hubbub.protocol.message",
    "hubbub.core.channel",
    "hubbub.core.commands.messaging",
    "hubbub.core.commands.registry",
    "hubbub.core.context",
    "hubbub.core.delivery",
    "hubbub.core.dispatch",
    "hubbub.core.engine",
    "hubbub.core.events",
    "hubbub.core.msgids",
    "hubbub.core.outbox",
    "hubbub.core.ports",
    "hubbub.core.recording",
    "hubbub.core.services.names",
    "hubbub.core.state",
    "hubbub.core.user",
    "hubbub.storage.blocks",
    "hubbub.storage.group_commit",
    "hubbub.transport.session",
)


def compiled_modules() -> list[str]:
    """Those of `MODULES` that this process runs as compiled extensions."""
    compiled = []
    for name in MODULES:
        path = importlib.import_module(name).__file__ or ""
        if path.endswith(tuple(EXTENSION_SUFFIXES)):
            compiled.append(name)
    return compiled


def describe() -> str:
    """Like "compiled (mypyc), 15 of 15 hot-path modules", or "pure Python"."""
    count = len(compiled_modules())
    if not count:
        return "pure Python"
    return f"compiled (mypyc), {count} of {len(MODULES)} hot-path modules"
