"""`Engine`: the chat server without sockets. Lines in, bytes to each session's outbox.

Transports call `connect()`, `handle_line()` and `disconnect()`; everything
else (state, delivery, replies, labeled-response) happens in here.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from hubbub.config import Config
from hubbub.core import msgids
from hubbub.core.acting import Acting
from hubbub.core.context import Context
from hubbub.core.delivery import Delivery
from hubbub.core.dispatch import dispatch
from hubbub.core.events import Event, MessageSent, NickChanged, UserQuit
from hubbub.core.outbox import Outbox
from hubbub.core.ports import (
    AccountStore,
    Clock,
    HistoryItem,
    HistoryStore,
    PasswordChecker,
    SystemClock,
    Writer,
    system_now,
)
from hubbub.core.recording import history_items
from hubbub.core.services.names import service_mask
from hubbub.core.state import ServerState
from hubbub.core.user import SessionId, User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold
from hubbub.protocol.framing import DecodedLine, LineProblem, encode_line
from hubbub.protocol.isupport import isupport_lines
from hubbub.protocol.message import Message, ParseError, escape_tag_value, parse_message
from hubbub.protocol.numerics import Numeric

logger = logging.getLogger(__name__)

Schedule = Callable[[Callable[[], None]], object]


def _add_tag(data: bytes, tag: str) -> bytes:
    """Prepend one tag to an encoded line."""
    if data.startswith(b"@"):
        return b"@" + tag.encode() + b";" + data[1:]
    return b"@" + tag.encode() + b" " + data


class Engine:
    """Owns the state, the clock and delivery; handles every received line."""

    def __init__(
        self,
        config: Config,
        *,
        passwords: PasswordChecker,
        accounts: AccountStore,
        history: HistoryStore,
        clock: Clock | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        self.config = config
        # Settings read for every line, as native attributes (the pydantic
        # model's attribute access is a dictionary lookup and a call).
        self.server_name = config.server_name
        self.targets_per_command = config.limits.targets_per_command
        self.clock: Clock = clock or SystemClock()
        # The clock read for every line, bound once: compiled, a call through
        # the `Clock` protocol is a lookup by name each time. The real clock
        # is called as the plain function it is (compiled, a direct call; a
        # bound method's is a generic call, a twentieth of a private message).
        self._now: Callable[[], float] = self.clock.now
        self._system_clock = type(self.clock) is SystemClock
        self.passwords = passwords
        self.accounts = accounts
        self.history = history
        self.recording = config.storage.history
        # Whether each received line is logged at debug level: read once
        # (`hubbub serve` sets the level before the engine exists), since
        # asking the logger costs an interpreted call on every line.
        self.log_lines = logger.isEnabledFor(logging.DEBUG)
        self.state = ServerState(config.limits.whowas_entries)
        self.delivery = Delivery(self.state, config.server_name, self.send, self.clock)
        self.created_at = self.clock.now()
        self.isupport = isupport_lines(config)
        self.motd = config.motd_lines()
        # Flushing: outboxes written to since the last flush. With `schedule`
        # (the event loop's call_soon) they are flushed once per loop pass;
        # without it (tests), at the end of each handled line.
        self._dirty: list[Outbox] = []
        # The user whose command is running while it collects its output
        # (`capture`): set for a labeled command and each step of a command
        # that waits (`Acting`), None otherwise.
        self.acting: User | None = None
        self._schedule = schedule
        self._flush_scheduled = False
        self._session_ids = itertools.count(1)
        self._msgids = msgids.MsgidMaker(secrets.token_hex(4))
        self._batch_ids = itertools.count(1)
        # File sharing: the web port's address once it listens, and the
        # short-lived upload tokens handed out over IRC (token -> owner, expiry).
        self.web_base_url: str | None = None
        self.tls_port: int | None = None  # for STS, once the TLS listener is up
        self._upload_tokens: dict[str, tuple[SessionId, float]] = {}
        # The private histories of ended sessions without an account, for
        # the app to delete (`take_ended_histories`).
        self._ended_histories: list[str] = []
        # Whether the last connection was refused for `max_clients` (so that
        # a full server logs it once, not once per refused connection).
        self._full = False
        # Flood control (`count_line`); a rate of 0 turns it off.
        self._flood_rate = float(config.limits.flood_lines_per_second)
        self._flood_burst = float(config.limits.flood_burst_lines)

    # Sessions

    def connect(
        self,
        writer: Writer,
        *,
        host: str,
        ip: str,
        secure: bool = False,
        certfp: str | None = None,
    ) -> User:
        """Start a session; return its `User` (closed at once if over limits)."""
        session_id = SessionId(next(self._session_ids))
        outbox = Outbox(writer, self.config.limits.sendq_bytes, self._mark_dirty)
        user = User(session_id, outbox, host, ip, self.clock.now(), secure=secure)
        user.certfp = certfp
        user.password_ok = self.config.password is None
        user.last_active = user.last_received = user.connected_at
        user.flood_allowance = self._flood_burst
        user.flood_checked = user.connected_at
        same_ip = self.state.sessions_per_ip.get(ip, 0)
        connected = len(self.state.sessions)
        self.state.add_session(user)
        logger.info("= session %d connected from %s", session_id, ip)
        max_clients = self.config.limits.max_clients
        if max_clients is not None and connected >= max_clients:
            if not self._full:
                logger.warning(
                    "! server full: %d connections (limits.max_clients); "
                    "refusing new ones",
                    connected,
                )
                self._full = True
            self.disconnect(user, "Server is full, try again later")
            return user
        self._full = False
        if same_ip >= self.config.limits.clients_per_ip:
            self.disconnect(user, "Too many connections from your IP address")
        return user

    def handle_line(
        self, user: User, received: DecodedLine
    ) -> Coroutine[Any, Any, None] | None:
        """Handle one line from `user`'s connection.

        Returns None once the line is handled (nearly always), else a
        coroutine that finishes it: a command that waits for something (a
        password check, a group commit). The transport runs it before the
        connection's next line, so replies keep their order.
        """
        if user.quitting:
            return None
        # Modern, "Keepalive": any line shows the client is alive.
        user.last_received = system_now() if self._system_clock else self._now()
        user.ping_sent_at = None
        if self._flood_rate > 0.0:
            self.count_line(user)
        if received.problem is not None:
            self._refuse_line(user, received)
        else:
            try:
                msg = parse_message(received.text)
            except ParseError:
                return None  # an empty or blank line: Modern says to ignore it
            if self.log_lines:
                logger.debug("< %d %s", user.session_id, received.text)
            if msg.tags and "label" in msg.tags:
                return self._finish_line(self.handle_message(user, msg))
            # The common case, without the labeled-response wrapper.
            pending = dispatch(Context(self, user, msg), msg)
            if pending is not None:
                return self._finish_line(self._answer_first(user, pending))
        if self._schedule is None:
            self.flush()
        return None

    def count_line(self, user: User) -> None:
        """Flood control: take one line from `user`'s allowance, which grows
        by `flood_lines_per_second` up to `flood_burst_lines`; when it is
        spent, set how long the transport waits before the next line
        (`User.input_pause`). Lines are delayed, never dropped, and reading
        no more from a client that floods leaves its bytes in the kernel's
        buffers, not in ours. IRC operators are not held back."""
        now = user.last_received
        allowance = user.flood_allowance
        elapsed = now - user.flood_checked
        if elapsed > 0.0:  # the wall clock may step back: never a debt for it
            allowance += elapsed * self._flood_rate
            if allowance > self._flood_burst:
                allowance = self._flood_burst
        allowance -= 1.0
        if allowance < 0.0 and user.is_oper:
            allowance = 0.0
        user.flood_checked = now
        user.flood_allowance = allowance
        user.input_pause = -allowance / self._flood_rate if allowance < 0.0 else 0.0

    async def _finish_line(self, pending: Awaitable[None]) -> None:
        await pending
        if self._schedule is None:
            self.flush()

    async def _answer_first(self, user: User, pending: Awaitable[None]) -> None:
        """Await the rest of `user`'s command, its output kept ahead of what
        others send the user meanwhile (`Outbox.hold`), as a server that
        handles each line to its end would have it."""
        captured: list[bytes] = []
        user.capture, user.capture_labeled = captured, False
        user.outbox.hold()
        try:
            await Acting(self, user, pending)
        finally:
            _stop_capturing(user, captured)
            user.outbox.release(captured)

    async def handle_message(self, user: User, msg: Message) -> None:
        """Dispatch one parsed message, wrapping replies for labeled-response."""
        label = msg.tags.get("label") if "labeled-response" in user.caps else None
        ctx = Context(self, user, msg)
        if label is None:
            pending = dispatch(ctx, msg)
            if pending is not None:
                await self._answer_first(user, pending)
            return
        captured: list[bytes] = []
        user.capture, user.capture_labeled = captured, True
        user.outbox.hold()
        try:
            before, self.acting = self.acting, user
            try:
                pending = dispatch(ctx, msg)
            finally:
                self.acting = before
            if pending is not None:
                await Acting(self, user, pending)
        except BaseException:
            user.outbox.release([])
            raise
        finally:
            _stop_capturing(user, captured)
        user.outbox.release(self._labeled(label, captured))

    def _labeled(self, label: str, lines: list[bytes]) -> list[bytes]:
        # IRCv3 labeled-response: no reply -> ACK; one line -> tagged;
        # several -> one labeled-response BATCH.
        tag = "label=" + escape_tag_value(label)
        server = self.server_name
        if not lines:
            return [f"@{tag} :{server} ACK\r\n".encode()]
        if len(lines) == 1:
            return [_add_tag(lines[0], tag)]
        ref = self.new_batch_ref()
        start = f"@{tag} :{server} BATCH +{ref} labeled-response\r\n".encode()
        end = f":{server} BATCH -{ref}\r\n".encode()
        return [start, *(_add_tag(data, "batch=" + ref) for data in lines), end]

    def _refuse_line(self, user: User, received: DecodedLine) -> None:
        words = [word for word in received.text.split(" ", 3) if word]
        if words and words[0].startswith("@"):
            words = words[1:]
        if words and words[0].startswith(":"):
            words = words[1:]
        name = words[0].upper() if words else "*"
        ctx = Context(self, user, Message(name))
        if received.problem == LineProblem.TOO_LONG:
            ctx.reply(n.ERR_INPUTTOOLONG)
        elif received.problem == LineProblem.INVALID_UTF8:
            ctx.fail(
                name,
                "INVALID_UTF8",
                text="Message rejected, your IRC client must use UTF-8",
            )
        else:
            ctx.reply(n.ERR_UNKNOWNERROR, name, text="Message contains a NUL byte")

    def disconnect(self, user: User, reason: str, *, error: str | None = None) -> None:
        """End a session (idempotent): QUIT to others, ERROR to the user, close.

        `reason` is what other users see in the QUIT; `error` what the user sees
        in ERROR (the reason when not given).
        """
        if user.quitting:
            return
        user.quitting = True
        if user.registered:
            self.apply(UserQuit(user.nick, user.mask, reason, self.clock.now()))
        self.state.remove_session(user)
        if user.session_owners:
            self._ended_histories.extend(user.session_owners)
        logger.info(
            "x session %d (%s) disconnected: %s", user.session_id, user.nick, reason
        )
        message = error if error is not None else reason
        captured = user.capture
        if captured is not None:
            # A command under way ended the session (a wrong password, say):
            # what it answered goes out before the ERROR.
            user.capture = None
            user.outbox.release(captured)
        user.outbox.put(f"ERROR :Closing Link: {user.host} ({message})\r\n".encode())
        user.outbox.flush(last=True)
        user.outbox.closed = True
        user.outbox.writer.close()

    def take_ended_histories(self) -> list[str]:
        """The owners of the private histories that ended sessions held
        without an account, since the last call.

        Nobody can read them any more (`User.history_owner`): the app deletes
        them from the store (`HistoryStore.forget`), which the core, doing
        no I/O, leaves to it.
        """
        ended, self._ended_histories = self._ended_histories, []
        return ended

    def check_timeouts(self) -> None:
        """PING idle clients; drop those that do not answer or never register.

        The app calls this periodically; tests call it after moving the clock.
        """
        now = self.clock.now()
        config = self.config
        for user in list(self.state.sessions.values()):
            if not user.registered:
                if now - user.connected_at > config.registration_timeout_seconds:
                    self.disconnect(user, "Registration timeout")
            elif user.ping_sent_at is not None:
                if now - user.ping_sent_at > config.ping_timeout_seconds:
                    idle = int(now - user.last_received)
                    self.disconnect(user, f"Ping timeout: {idle} seconds")
            elif now - user.last_received > config.ping_interval_seconds:
                user.ping_sent_at = now
                self.send(user, f"PING :{self.server_name}\r\n".encode())
            deadline = user.nick_protection_deadline
            if deadline is not None and now >= deadline and not user.quitting:
                self._rename_to_guest(user)
        if self._schedule is None:
            self.flush()

    def _rename_to_guest(self, user: User) -> None:
        """Nick protection: move a user off a registered nick they did not log in to."""
        user.nick_protection_deadline = None
        guest = f"Guest{user.session_id}"
        while casefold(guest) in self.state.users:
            guest += "_"
        source = service_mask("NickServ", self.server_name)
        self.send(
            user,
            f":{source} NOTICE {user.nick} :{user.nick} is registered to someone else; "
            f"you are now {guest}\r\n".encode(),
        )
        if user.registered:
            self.apply(NickChanged(user.nick, guest, user.mask, self.clock.now()))
        else:
            self.state.claim_nick(user, guest)

    # Output

    def send(self, user: User, data: bytes, *, response: bool = True) -> None:
        """Queue encoded lines for `user`.

        While `user`'s own command runs and collects its output (a labeled
        command, or one that waits: `_answer_first`), what that command
        sends it is collected, to go out ahead of what others sent
        meanwhile; `response=False` marks a side effect (a message to
        oneself), which a labeled command delivers unlabeled.
        """
        capture = user.capture
        if capture is None or self.acting is not user:
            # Not from the user's own command under way: others' actions
            # queue behind its answers (`Outbox.hold`).
            user.outbox.put(data)
        elif response or not user.capture_labeled:
            capture.append(data)
        else:  # a side effect of a labeled command: unlabeled, but ahead
            # of what others sent meanwhile, as the answers are
            user.outbox.put_held(data)

    def send_numeric(
        self, user: User, numeric: Numeric, *params: str, text: str | None = None
    ) -> None:
        """Send `:server CODE nick params... :text` (the numeric's default text)."""
        trailing = text if text is not None else numeric.text
        parts = [":" + self.server_name, numeric.code, user.nick, *params]
        if trailing is not None:
            parts.append(":" + trailing)
        elif params:
            last = parts[-1]
            if not last or " " in last or last.startswith(":"):
                parts[-1] = ":" + last
        self.send(user, encode_line(" ".join(parts)))

    def _mark_dirty(self, outbox: Outbox) -> None:
        self._dirty.append(outbox)
        if not self._flush_scheduled and self._schedule is not None:
            self._flush_scheduled = True
            self._schedule(self.flush)

    def flush(self) -> None:
        """Write every outbox touched since the last flush; drop overflowing clients."""
        self._flush_scheduled = False
        while self._dirty:
            dirty, self._dirty = self._dirty, []
            overflowed = []
            for outbox in dirty:
                outbox.flush()
                if outbox.overflowed:
                    overflowed.append(outbox)
            for outbox in overflowed:
                self._drop_overflowed(outbox)

    def _drop_overflowed(self, outbox: Outbox) -> None:
        for user in self.state.sessions.values():
            if user.outbox is outbox:
                outbox.overflowed = False  # lets the ERROR line through
                self.disconnect(user, "SendQ exceeded")
                return

    # State changes

    def apply(
        self,
        event: Event,
        sender: User | None = None,
        recipient: User | None = None,
    ) -> list[HistoryItem]:
        """Record an event in history, deliver it to local users, apply it.

        Returns what history recorded of it. For a `MessageSent`, `sender`
        and `recipient` may be the users it names (the recipient None for a
        channel), when the caller has just looked them up: recording and
        delivery then do not look them up again by nick (four lookups of a
        casefolded nick on every private message).
        """
        items: list[HistoryItem] = []
        # A message carries its time (the common case first: compiled,
        # getattr by name is a generic lookup).
        at = event.at if type(event) is MessageSent else getattr(event, "at", None)
        if at is None:
            at = self.clock.now()
        if self.recording:
            items = history_items(
                self.state, event, self.new_msgid, at, sender, recipient
            )
            for item in items:
                self.history.append(item)
        # Live lines of recorded events carry the msgid history knows them by
        # (CHATHISTORY with event-playback refers to them).
        self.delivery.deliver(
            event, items[0].msgid if items else None, at, sender, recipient
        )
        self.state.apply(event)
        return items

    async def verify_password(self, password_hash: str, password: str) -> bool:
        """Check a password through the injected `PasswordChecker`."""
        return await self.passwords.verify(password_hash, password)

    def cap_values(self, user: User) -> dict[str, str | None]:
        """Capability values that depend on settings or on the connection."""
        values: dict[str, str | None] = {}
        tls = self.config.tls
        duration = tls.sts_duration_seconds
        # IRCv3 STS: only with a real certificate; plain connections are told
        # where TLS is, TLS ones for how long to insist on it.
        if duration is None or tls.cert_file is None or self.tls_port is None:
            values["sts"] = None
        elif user.secure:
            values["sts"] = f"duration={duration}"
        else:
            values["sts"] = f"port={self.tls_port},duration={duration}"
        settings = self.config.accounts
        registration = ["custom-account-name"]
        if settings.registration_before_connect:
            registration.insert(0, "before-connect")
        if settings.email_required:
            registration.append("email-required")
        values["draft/account-registration"] = ",".join(registration)
        if not settings.registration:
            values["draft/account-registration"] = None
        return values

    # File sharing (FILEHOST)

    def set_web_base_url(self, url: str) -> None:
        """Advertise uploads at `url` + /upload (soju.im/FILEHOST in ISUPPORT)."""
        self.web_base_url = url.rstrip("/")
        if self.config.files.enabled:
            upload = f"{self.web_base_url}/upload"
            extra = [f"draft/FILEHOST={upload}", f"soju.im/FILEHOST={upload}"]
            self.isupport = isupport_lines(self.config, extra)

    def issue_upload_token(self, user: User) -> str:
        """A token that lets `user` upload one or more files for a while."""
        now = self.clock.now()
        for token, (_, expires) in list(self._upload_tokens.items()):
            if expires < now:
                del self._upload_tokens[token]
        token = secrets.token_urlsafe(24)
        self._upload_tokens[token] = (
            user.session_id,
            now + self.config.files.token_seconds,
        )
        return token

    def upload_token_user(self, token: str) -> User | None:
        """The connected user an upload token belongs to, if it is still valid."""
        entry = self._upload_tokens.get(token)
        if entry is None or entry[1] < self.clock.now():
            return None
        return self.state.sessions.get(entry[0])

    def new_batch_ref(self) -> str:
        """A reference for a new IRCv3 batch, unique on this connection and others."""
        return f"b{next(self._batch_ids)}"

    def new_msgid(self, at: float) -> str:
        """A unique id (IRCv3 message-ids) for a message sent at `at`."""
        return self._msgids.next(at)

    def shutdown(self, reason: str = "Server shutting down") -> None:
        """Disconnect every session with `reason` (graceful shutdown)."""
        for user in list(self.state.sessions.values()):
            self.disconnect(user, reason)
        self.flush()


def _stop_capturing(user: User, captured: list[bytes]) -> None:
    """End `captured`'s collection, unless something ended it already (a
    disconnect). Compared through a local: compiled, `user.capture is
    captured` would narrow the attribute to a list, and assigning None to it
    then raises TypeError."""
    current = user.capture
    if current is captured:
        user.capture = None
