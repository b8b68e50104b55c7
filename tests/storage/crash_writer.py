"""The crash test's writer: `python -m tests.storage.crash_writer URL [SCHEMA]`.

Eight senders each append a message, wait for its commit, then print its msgid
("echoed"), forever, until the test kills the process with SIGKILL. Four
write to a channel, four private messages to bob.
"""

from __future__ import annotations

import asyncio
import itertools
import sys

from hubbub.core.ports import HistoryItem
from hubbub.storage.database import open_database
from hubbub.storage.open import Storage, open_sql_storage

SENDERS = 8
TARGET = "#crash"


def private_target(sender: int) -> tuple[str, str] | None:
    """Where sender `sender`'s messages go: None for the channel `TARGET`, or
    the (owner, target) of the private history they are in on bob's side.

    Half the senders write private messages, which go to two histories'
    blocks (`storage/blocks.py`): both kinds must survive.
    """
    return ("n:bob", f"sender{sender}") if sender % 2 else None


async def send_forever(storage: Storage, sender: int) -> None:
    """Append, commit, echo: the order the core follows for each message."""
    for n in itertools.count():
        msgid = f"{sender}-{n}"
        private = private_target(sender) is not None
        target = "bob" if private else TARGET
        storage.history.append(
            HistoryItem(
                owner=f"n:sender{sender}" if private else "",
                target=target,
                msgid=msgid,
                at=float(n),
                source=f"sender{sender}!s@h",
                account=None,
                command="PRIVMSG",
                params=(target, msgid),
                peer_owner="n:bob" if private else "",
                peer_target=f"sender{sender}" if private else "",
            )
        )
        await storage.history.commit()
        print(msgid, flush=True)


async def main(url: str, schema: str | None) -> None:
    """Open the storage, say "ready", and send until killed."""
    storage = await open_sql_storage(open_database(url, schema=schema))
    print("ready", flush=True)
    await asyncio.gather(*(send_forever(storage, n) for n in range(SENDERS)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
