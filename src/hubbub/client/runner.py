"""`ChatClient`: one chat over time. Connects, feeds the session, carries out what the
user types, and reconnects with backoff, rejoining its rooms.

The user interfaces give it a `Listener` (called with each event and the lines
it added to the model) and, to ask for another nick, a `NickAsker`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import assert_never

from hubbub.client.actions import (
    Action,
    CloseBuffer,
    InputContext,
    InputError,
    OpenBuffer,
    Quit,
    SendMessage,
    SendText,
    ShowText,
    Upload,
)
from hubbub.client.backoff import Backoff
from hubbub.client.buffers import BufferKind, Shown
from hubbub.client.commands import parse_input
from hubbub.client.connection import Connection, ConnectionFailedError, ServerAddress
from hubbub.client.events import (
    BufferClosed,
    BufferOpened,
    ConnectionLost,
    Event,
    MessageKind,
    MessageReceived,
    NickRejected,
    NoteShown,
    Ready,
    Registered,
)
from hubbub.client.model import ChatModel
from hubbub.client.outgoing import assumed_source, parse_action, text_messages
from hubbub.client.session import ClientSession, Clock, Registration, utc_now
from hubbub.client.uploads import UploadError, UploadGrant, parse_grant, upload
from hubbub.protocol.message import Message, ParseError, parse_message

logger = logging.getLogger(__name__)

Listener = Callable[[Event, list[Shown]], None]
NickAsker = Callable[[str], Awaitable[str | None]]

_KEEPALIVE_TOKEN = "hubbub-alive"
_QUIT_GRACE_SECONDS = 3.0  # how long to wait for the server to close after QUIT
_GRANT_SECONDS = 10.0  # how long to wait for the answer to FILEHOST


class ChatError(Exception):
    """The chat cannot go on (the first connection failed); the message says why."""


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """What `hubbub chat` was asked to do."""

    address: ServerAddress
    nick: str
    channels: tuple[str, ...] = ("#lobby",)
    realname: str = "hubbub chat"


def _username(nick: str) -> str:
    # From the nick, not the login name: the username is public in every hostmask.
    return "".join(char for char in nick if char.isalnum())[:10] or "hubbub"


class ChatClient:
    """The connection loop around a `ClientSession`, and the user's input."""

    def __init__(
        self,
        options: ChatOptions,
        listener: Listener,
        *,
        model: ChatModel | None = None,
        ask_nick: NickAsker | None = None,
        backoff: Backoff | None = None,
        clock: Clock = utc_now,
        idle_seconds: float = 180.0,  # silence before we PING the server
        ping_timeout_seconds: float = 60.0,  # silence after that PING: reconnect
        welcome_seconds: float = 30.0,  # for the server's welcome (001), at most
    ) -> None:
        self.options = options
        self.model = model or ChatModel(clock=clock)
        self.ready = asyncio.Event()  # registered and first joins done
        self._listener = listener
        self._ask_nick = ask_nick
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._idle_seconds = idle_seconds
        self._ping_timeout_seconds = ping_timeout_seconds
        self._welcome_seconds = welcome_seconds
        self._welcome_by = 0.0  # the loop's time by which the welcome is due
        self._session: ClientSession | None = None
        self._connection: Connection | None = None
        self._has_registered = False  # ever: from then on, failures reconnect
        self._quit_requested = asyncio.Event()
        # /upload: FILEHOST replies awaited, oldest first, and running uploads.
        self._grant_waiters: list[asyncio.Future[UploadGrant | None]] = []
        self._uploads: set[asyncio.Task[None]] = set()

    # Running

    async def run(self) -> None:
        """Chat until the user quits.

        Raises:
            ChatError: the first connection failed, or registration did.
        """
        options = self.options
        username = _username(options.nick)
        registration = Registration(
            options.nick, username, options.realname, options.channels
        )
        while not self._quit_requested.is_set():
            try:
                connection = await self._dial()
            except ConnectionFailedError as error:
                if not self._has_registered:
                    raise ChatError(str(error)) from None
                await self._wait_before_retry(str(error))
                continue
            if connection is None:  # the user left while we dialled
                return
            session = ClientSession(registration, clock=self._clock)
            reason = await self._converse(connection, session)
            registration = session.rejoin_registration()
            if self._quit_requested.is_set():
                return
            if not self._has_registered:
                raise ChatError(f"{options.address}: {reason}")
            await self._wait_before_retry(reason)

    async def _dial(self) -> Connection | None:
        """Connect, unless the user quits first (then None).

        Raises:
            ConnectionFailedError: the connection could not be made.
        """
        dialing = asyncio.ensure_future(Connection.open(self.options.address))
        quitting = asyncio.ensure_future(self._quit_requested.wait())
        await asyncio.wait({dialing, quitting}, return_when=asyncio.FIRST_COMPLETED)
        quitting.cancel()
        if not dialing.done():
            dialing.cancel()
            return None
        connection = dialing.result()
        if self._quit_requested.is_set():
            await connection.close()
            return None
        return connection

    async def _wait_before_retry(self, reason: str) -> None:
        self.ready.clear()
        delay = self._backoff.next_delay()
        self._emit(ConnectionLost(reason, delay))
        try:
            async with asyncio.timeout(delay):
                await self._quit_requested.wait()
        except TimeoutError:
            pass

    async def _converse(self, connection: Connection, session: ClientSession) -> str:
        """Run one connection; return why it ended."""
        self._connection, self._session = connection, session
        self._expect_welcome()
        session.start()
        self._flush()
        try:
            while True:
                line = await self._read_line(connection, session)
                if self._grant_waiters and " FILEHOST " in line:
                    self._take_grant(line)
                for event in session.receive_line(line):
                    await self._handle(event, session)
                self._flush()
        except ConnectionFailedError as error:
            return session.closing_reason or str(error)
        finally:
            self._connection = self._session = None
            await connection.close()

    def _expect_welcome(self) -> None:
        self._welcome_by = asyncio.get_running_loop().time() + self._welcome_seconds

    async def _read_line(self, connection: Connection, session: ClientSession) -> str:
        if not session.is_registered:
            # Something that accepts connections but never welcomes us (not
            # an IRC server, or a stuck one) is given up on, not waited for.
            left = self._welcome_by - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(max(left, 0)):
                    return await connection.read_line()
            except TimeoutError:
                message = (
                    f"no IRC welcome from the server in {self._welcome_seconds:g} s"
                )
                raise ConnectionFailedError(message) from None
        # A silent server may be gone (a dead network sends no FIN): PING it.
        try:
            async with asyncio.timeout(self._idle_seconds):
                return await connection.read_line()
        except TimeoutError:
            session.send(Message("PING", (_KEEPALIVE_TOKEN,)))
            self._flush()
        try:
            async with asyncio.timeout(self._ping_timeout_seconds):
                return await connection.read_line()
        except TimeoutError:
            seconds = self._idle_seconds + self._ping_timeout_seconds
            message = f"no word from the server in {seconds:g} s"
            raise ConnectionFailedError(message) from None

    async def _handle(self, event: Event, session: ClientSession) -> None:
        if isinstance(event, NickRejected):
            self._emit(event)
            await self._choose_other_nick(event, session)
            return
        self._emit(event)
        if isinstance(event, Registered):
            self._has_registered = True
            self._backoff.reset()
            address = self.options.address
            self._emit(NoteShown(f"Connected to {address} as {event.nick}."))
        elif isinstance(event, Ready):
            self.ready.set()

    async def _choose_other_nick(
        self, event: NickRejected, session: ClientSession
    ) -> None:
        if self._has_registered or self._ask_nick is None:
            # Reconnecting (maybe our old self is still there): nobody to ask.
            session.choose_nick(event.nick + "_")
            return
        nick = await self._ask_nick(event.nick)
        self._expect_welcome()  # the time the user took is not the server's
        if nick is not None:
            session.choose_nick(nick)
        elif self._quit_requested.is_set():
            self.quit()  # the user left instead of answering
        else:
            raise ChatError(f"{event.nick}: {event.reason}")

    def _flush(self) -> None:
        if self._connection is not None and self._session is not None:
            self._connection.write_lines(self._session.lines_to_send())

    def _emit(self, event: Event) -> None:
        self._listener(event, self.model.apply(event))

    # The user's input

    def submit(self, text: str) -> None:
        """Carry out one typed line; a problem becomes a one-line note."""
        current = self.model.current
        target = None if current.kind is BufferKind.SERVER else current.name
        # A room we have left takes no text (while connected: offline, the
        # send itself says why it cannot go).
        is_left = current.kind is BufferKind.CHANNEL and not current.is_joined
        is_joined = not (is_left and self.model.is_connected)
        context = InputContext(target, self.model.features.chantypes, is_joined)
        try:
            for action in parse_input(text, context):
                self._perform(action)
        except InputError as error:
            self._emit(NoteShown(str(error), is_error=True))
        self._flush()

    def open_buffer(self, name: str) -> None:
        """Show the buffer called `name` (the interface's room list)."""
        self._emit(BufferOpened(name))

    def _perform(self, action: Action) -> None:
        match action:
            case SendText():
                self._send_text(action)
            case SendMessage(message):
                self._require_session().send(message)
            case OpenBuffer(name):
                self._emit(BufferOpened(name))
            case CloseBuffer(name):
                self._emit(BufferClosed(name))
            case ShowText(text):
                for line in text.splitlines():
                    self._emit(NoteShown(line))
            case Upload(path, target):
                self._require_session().send(Message("FILEHOST"))
                waiter = asyncio.get_running_loop().create_future()
                self._grant_waiters.append(waiter)
                task = asyncio.create_task(self._share(waiter, path, target))
                self._uploads.add(task)
                task.add_done_callback(self._uploads.discard)
            case Quit(reason):
                self.quit(reason)
            case _:
                assert_never(action)

    # File sharing

    def _take_grant(self, line: str) -> None:
        """A FILEHOST reply (or FAIL FILEHOST) answers the oldest /upload."""
        try:
            message = parse_message(line)
        except ParseError:
            return
        if message.command == "FILEHOST":
            grant = parse_grant(message.params)
        elif message.command == "FAIL" and message.param(0) == "FILEHOST":
            grant = None
        else:
            return
        waiter = self._grant_waiters.pop(0)
        if not waiter.done():
            waiter.set_result(grant)

    async def _share(
        self, waiter: asyncio.Future[UploadGrant | None], path: str, target: str
    ) -> None:
        try:
            async with asyncio.timeout(_GRANT_SECONDS):
                grant = await waiter
            if grant is None:
                raise UploadError("This server does not offer file sharing.")
            link = await upload(grant, path)
        except TimeoutError:
            self._emit(NoteShown("The server did not answer FILEHOST.", is_error=True))
            return
        except UploadError as error:
            self._emit(NoteShown(str(error), is_error=True))
            return
        if self._session is None:
            self._emit(NoteShown(f"Uploaded {link}, but the connection is gone."))
            return
        self._send_text(SendText(target, link))
        self._flush()

    def _require_session(self) -> ClientSession:
        session = self._session
        if session is None or not session.is_registered:
            raise InputError("Not connected to the server: nothing was sent.")
        return session

    def _send_text(self, action: SendText) -> None:
        session = self._require_session()
        source = session.own_source or assumed_source(session.nick)
        for message in text_messages(action.kind, action.target, action.text, source):
            session.send(message)
            if "echo-message" not in session.caps:
                # Without echo-message the server does not send ours back.
                self._emit(self._local_echo(session, action, message))

    def _local_echo(
        self, session: ClientSession, action: SendText, message: Message
    ) -> MessageReceived:
        text = message.params[1]
        if action.kind is MessageKind.ACTION:
            text = parse_action(text) or ""
        is_private = not session.features.is_channel(action.target)
        return MessageReceived(
            self._clock(),
            action.target,
            session.nick,
            text,
            action.kind,
            is_private,
            is_self=True,
        )

    def quit(self, reason: str = "") -> None:
        """Leave: QUIT, then wait briefly for the server to close the connection."""
        self._quit_requested.set()
        session, connection = self._session, self._connection
        if session is None or connection is None:
            return
        session.send(Message("QUIT", (reason,) if reason else ()))
        self._flush()
        asyncio.get_running_loop().call_later(_QUIT_GRACE_SECONDS, connection.abort)
