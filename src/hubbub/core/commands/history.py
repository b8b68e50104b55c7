"""CHATHISTORY (IRCv3 draft/chathistory, with draft/event-playback), and join replay.

https://ircv3.net/specs/extensions/chathistory
"""

from __future__ import annotations

import calendar
import logging
import time
from collections.abc import Callable, Iterable
from functools import partial

from hubbub.core.channel import Channel
from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.delivery import format_server_time, line, text_line
from hubbub.core.errors import StandardReplyError, StoreUnavailableError
from hubbub.core.ports import Cursor, HistoryItem
from hubbub.protocol.casemap import CHANTYPES, Casefolded, casefold
from hubbub.protocol.framing import encode_line
from hubbub.protocol.message import Message, escape_tag_value

logger = logging.getLogger(__name__)

MESSAGE_COMMANDS = ("PRIVMSG", "NOTICE")
# A cursor past any storage order at the same instant (timestamps are exclusive).
_LAST_SEQ = 2**62


def parse_timestamp(value: str) -> float | None:
    """`YYYY-MM-DDThh:mm:ss[.sss]Z` as seconds since the epoch, or None."""
    text = value.rstrip("Z")
    whole, _, fraction = text.partition(".")
    try:
        parsed = time.strptime(whole, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    millis = int(fraction[:3].ljust(3, "0")) if fraction.isdigit() else 0
    return calendar.timegm(parsed) + millis / 1000


def _fail(subcommand: str, code: str, *context: str, text: str) -> StandardReplyError:
    return StandardReplyError("CHATHISTORY", code, subcommand, *context, text=text)


async def _cursor(
    ctx: Context,
    subcommand: str,
    owner: str,
    target: str,
    reference: str,
    *,
    after: bool,
) -> Cursor | None:
    """A reference (`*`, `timestamp=`, `msgid=`) as a cursor; None for `*`.

    Raises:
        StandardReplyError: INVALID_PARAMS for a malformed reference.
    """
    if reference == "*":
        return None
    kind, _, value = reference.partition("=")
    if kind == "timestamp":
        at = parse_timestamp(value)
        if at is not None:
            return Cursor(at, _LAST_SEQ if after else -1)
    elif kind == "msgid" and value:
        item = await ctx.engine.history.find(owner, target, value)
        if item is not None:
            return Cursor(item.at, item.seq)
        raise _fail(subcommand, "INVALID_MSGREFTYPE", reference, text="Unknown msgid")
    raise _fail(
        subcommand, "INVALID_PARAMS", reference, text="Invalid message reference"
    )


def _unavailable(
    ctx: Context, subcommand: str, target: str, error: StoreUnavailableError
) -> StandardReplyError:
    """MESSAGE_ERROR, the spec's answer when the server cannot read its history."""
    logger.warning("! CHATHISTORY of session %d failed: %s", ctx.user.session_id, error)
    return _fail(
        subcommand, "MESSAGE_ERROR", target, text="Messages could not be retrieved"
    )


def _limit(ctx: Context, subcommand: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise _fail(subcommand, "INVALID_PARAMS", value, text="Invalid limit")
    return min(int(value), ctx.config.storage.chathistory_max)


def may_read_channel(ctx: Context, channel: Channel) -> bool:
    """Members read a channel's history; anyone does when it is registered public."""
    registration = channel.registration
    public = registration is not None and registration.public_history
    return public or channel.has_member(ctx.user)


def _history_of(
    ctx: Context, subcommand: str, target: str
) -> tuple[str, str, Cursor | None]:
    """(owner, target, floor) of the history `target` names, if the caller
    may read it; nothing at or before `floor` may be read (`history_floor`).

    Raises:
        StandardReplyError: INVALID_TARGET for a channel one may not read.
    """
    if target[:1] in CHANTYPES:
        channel = ctx.state.find_channel(target)
        if channel is None or not may_read_channel(ctx, channel):
            raise _fail(
                subcommand, "INVALID_TARGET", target, text="No such channel history"
            )
        return "", channel.key, history_floor(channel)
    if target == "*" or not target:
        raise _fail(subcommand, "INVALID_TARGET", target, text="Invalid target")
    return ctx.user.history_owner, casefold(target), None


def history_floor(channel: Channel) -> Cursor | None:
    """Where the readable history of `channel` starts: an unregistered
    channel disappears once empty, and whoever makes one of the same name
    later in the run reads nothing of the earlier one's (a secret
    channel's, say), even after registering it. A channel registered all
    along never disappears, and after a restart every channel reads what
    it had."""
    if channel.history_floor is None:
        return None
    return Cursor(channel.history_floor, -1)


# Pages a CHATHISTORY read may take to find its messages among events that
# the caller does not see (without draft/event-playback).
_MAX_PAGES = 20
_MIN_PAGE = 100  # items a page reads at least, however few are still wanted


async def _select_visible(
    ctx: Context,
    owner: str,
    key: str,
    *,
    after: Cursor | None,
    before: Cursor | None,
    limit: int,
    newest_first: bool,
    floor: Cursor | None,
) -> list[HistoryItem]:
    """`HistoryStore.select`, with `limit` counting only what the caller
    sees: without event playback, the JOINs and TOPICs among the messages
    must not take the limit's places (a client that pages back would take
    a short or empty batch for the start of history). Nothing at or before
    `floor` is read."""
    history = ctx.engine.history
    if floor is not None and (
        after is None or (after.at, after.seq) < (floor.at, floor.seq)
    ):
        after = floor
    if sees_events(ctx) or limit <= 0:
        return await history.select(
            owner,
            key,
            after=after,
            before=before,
            limit=limit,
            newest_first=newest_first,
        )
    found: list[HistoryItem] = []
    for _ in range(_MAX_PAGES):
        page_size = max(limit - len(found), _MIN_PAGE)
        page = await history.select(
            owner,
            key,
            after=after,
            before=before,
            limit=page_size,
            newest_first=newest_first,
        )
        found.extend(item for item in page if item.command in MESSAGE_COMMANDS)
        if len(found) >= limit or len(page) < page_size:
            break
        # On from the page's far end (pages come in the order asked for,
        # and cursors are exclusive).
        last = Cursor(page[-1].at, page[-1].seq)
        if newest_first:
            before = last
        else:
            after = last
    return found[:limit]  # the `limit` nearest the start, in the order asked


async def _select(
    ctx: Context,
    subcommand: str,
    owner: str,
    key: str,
    floor: Cursor | None,
    params: tuple[str, ...],
) -> list[HistoryItem]:
    select = partial(_select_visible, ctx, owner, key, floor=floor)
    if subcommand == "BETWEEN":
        if len(params) < 3:
            raise _fail(subcommand, "INVALID_PARAMS", text="Not enough parameters")
        first = await _cursor(ctx, subcommand, owner, key, params[0], after=True)
        second = await _cursor(ctx, subcommand, owner, key, params[1], after=False)
        limit = _limit(ctx, subcommand, params[2])
        if first is None or second is None:
            raise _fail(
                subcommand, "INVALID_PARAMS", text="BETWEEN needs two references"
            )
        if (first.at, first.seq) <= (second.at, second.seq):
            return await select(
                after=first, before=second, limit=limit, newest_first=False
            )
        # Backwards: the messages just before the first reference.
        low = await _cursor(ctx, subcommand, owner, key, params[1], after=True)
        high = await _cursor(ctx, subcommand, owner, key, params[0], after=False)
        return await select(after=low, before=high, limit=limit, newest_first=True)
    if len(params) < 2:
        raise _fail(subcommand, "INVALID_PARAMS", text="Not enough parameters")
    limit = _limit(ctx, subcommand, params[1])
    reference = params[0]
    if subcommand == "LATEST":
        after = await _cursor(ctx, subcommand, owner, key, reference, after=True)
        return await select(after=after, before=None, limit=limit, newest_first=True)
    if subcommand == "BEFORE":
        before = await _cursor(ctx, subcommand, owner, key, reference, after=False)
        return await select(after=None, before=before, limit=limit, newest_first=True)
    if subcommand == "AFTER":
        after = await _cursor(ctx, subcommand, owner, key, reference, after=True)
        return await select(after=after, before=None, limit=limit, newest_first=False)
    # AROUND: up to `limit` messages centred on the reference.
    centre = await _cursor(ctx, subcommand, owner, key, reference, after=False)
    if centre is None:
        raise _fail(
            subcommand, "INVALID_PARAMS", reference, text="AROUND needs a reference"
        )
    older = await select(after=None, before=centre, limit=limit // 2, newest_first=True)
    from_centre = Cursor(centre.at, centre.seq - 1)
    newer = await select(
        after=from_centre, before=None, limit=limit - len(older), newest_first=False
    )
    return [*older, *newer]


def render_item(ctx: Context, item: HistoryItem, batch: str | None = None) -> bytes:
    """One stored item as the caller should see it (tags by its caps)."""
    user = ctx.user
    tags = []
    if batch is not None:
        tags.append(f"batch={batch}")
    if user.has_cap("server-time"):
        tags.append("time=" + format_server_time(item.at))
    if user.has_cap("message-tags"):
        tags.append(f"msgid={item.msgid}")
        tags.extend(
            f"{key}={escape_tag_value(value)}" if value else key
            for key, value in item.tags.items()
        )
    if user.has_cap("account-tag") and item.account:
        tags.append("account=" + escape_tag_value(item.account))
    if (
        item.command in ("PRIVMSG", "NOTICE", "TOPIC", "PART", "KICK", "QUIT")
        and item.params
    ):
        text = text_line(item.source, item.command, *item.params)
    else:
        text = line(item.source, item.command, *item.params)
    prefix = "@" + ";".join(tags) + " " if tags else ""
    return encode_line(prefix + text)


def sees_events(ctx: Context) -> bool:
    """Whether the caller is shown TAGMSG and channel events from history."""
    return ctx.user.has_cap("draft/event-playback") and ctx.user.has_cap("message-tags")


def visible_items(ctx: Context, items: Iterable[HistoryItem]) -> list[HistoryItem]:
    """Messages always; TAGMSG and channel events only with draft/event-playback."""
    playback = sees_events(ctx)
    return [item for item in items if item.command in MESSAGE_COMMANDS or playback]


def _send_batch(
    ctx: Context, kind: str, target: str, render: Callable[[str], list[bytes]]
) -> None:
    """IRCv3 batch: `BATCH +ref kind target`, the lines made for `ref`, `BATCH -ref`."""
    ref = ctx.engine.new_batch_ref()
    ctx.send_line(f":{ctx.server_name} BATCH +{ref} {kind} {target}".rstrip())
    for data in render(ref):
        ctx.engine.send(ctx.user, data)
    ctx.send_line(f":{ctx.server_name} BATCH -{ref}")


async def _targets(ctx: Context, params: tuple[str, ...]) -> None:
    if len(params) < 3:
        raise _fail("TARGETS", "INVALID_PARAMS", text="Not enough parameters")
    bounds = []
    for reference in params[:2]:
        kind, _, value = reference.partition("=")
        at = parse_timestamp(value) if kind == "timestamp" else None
        if at is None:
            raise _fail("TARGETS", "INVALID_PARAMS", reference, text="Timestamps only")
        bounds.append(at)
    limit = _limit(ctx, "TARGETS", params[2])
    low, high = sorted(bounds)
    channels: list[str] = [
        key
        for key, channel in ctx.user.channels.items()
        if may_read_channel(ctx, channel)
    ]
    try:
        found = await ctx.engine.history.targets(
            ctx.user.history_owner,
            channels,
            low,
            high,
            ctx.config.storage.chathistory_max,
        )
    except StoreUnavailableError as error:
        raise _unavailable(ctx, "TARGETS", "*", error) from error
    # Oldest latest-activity first; the limit keeps the oldest.
    found = sorted(found, key=lambda pair: pair[1])[:limit]

    def render(ref: str) -> list[bytes]:
        lines = []
        for key, latest in found:
            channel = ctx.state.channels.get(Casefolded(key))
            peer = ctx.state.users.get(Casefolded(key))
            name = channel.name if channel else (peer.nick if peer else key)
            stamp = format_server_time(latest)
            text = line(ctx.server_name, "CHATHISTORY", "TARGETS", name, stamp)
            lines.append(f"@batch={ref} {text}\r\n".encode())
        return lines

    _send_batch(ctx, "draft/chathistory-targets", "", render)


@command("CHATHISTORY", min_params=2)
async def handle_chathistory(ctx: Context, msg: Message) -> None:
    """Stored messages: LATEST, BEFORE, AFTER, AROUND, BETWEEN, or TARGETS."""
    subcommand = msg.params[0].upper()
    if subcommand == "TARGETS":
        await _targets(ctx, msg.params[1:])
        return
    if subcommand not in ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN"):
        raise StandardReplyError(
            "CHATHISTORY", "INVALID_PARAMS", subcommand, text="Unknown subcommand"
        )
    target = msg.params[1]
    owner, key, floor = _history_of(ctx, subcommand, target)
    try:
        items = await _select(ctx, subcommand, owner, key, floor, msg.params[2:])
    except StoreUnavailableError as error:
        raise _unavailable(ctx, subcommand, target, error) from error
    items.sort(key=lambda item: (item.at, item.seq))
    shown = visible_items(ctx, items)
    _send_batch(
        ctx,
        "chathistory",
        target,
        lambda ref: [render_item(ctx, i, ref) for i in shown],
    )


# Items of the JOIN's own instant that a replay read takes beyond its lines.
_SAME_INSTANT = 16


def _replay_count(ctx: Context, channel: Channel) -> int:
    """How many of `channel`'s last messages the caller, joining, is replayed."""
    user = ctx.user
    count = ctx.config.storage.join_replay_lines
    if count == 0 or user.has_cap("draft/chathistory") or user.is_bot:
        return 0
    if not user.has_cap("batch") and not user.has_cap("server-time"):
        return 0
    left = user.parted.pop(channel.key, None) if user.parted else None
    if left is not None and left[0] is channel:
        count = min(count, channel.messages - left[1])  # what it missed
    if channel.replay_quiet_at == channel.messages:
        return 0  # an earlier replay found none, and none was sent since
    return count


async def replay_on_join(
    ctx: Context, channel: Channel, join_msgid: str, join_at: float
) -> None:
    """The last lines of a channel for a client without chathistory (after JOIN).

    Only what came before the JOIN: lines sent while we wait for the database
    already reach the new member live. Only to a client that can tell them
    from new ones: in a chathistory batch, or with their server-time after a
    notice that says what they are; never to a bot (+B), nor to a client
    without either (a bot that knows no capabilities would act on them as
    if they were new). A session that left the channel and comes back gets
    only what was said while it was away.
    """
    user = ctx.user
    count = _replay_count(ctx, channel)
    if count <= 0:
        return
    batch = user.has_cap("batch")
    messages_before = channel.messages
    # One read: the newest items up to the JOIN's time, newest first, then
    # only those older than the JOIN itself (items of the same instant may
    # have come after it). Its seq, which the store gave it, is not known here.
    try:
        items = await ctx.engine.history.select(
            "",
            channel.key,
            after=history_floor(channel),
            before=Cursor(join_at, _LAST_SEQ),
            limit=count * 4 + _SAME_INSTANT,
            newest_first=True,
        )
    except StoreUnavailableError as error:
        # The JOIN is done; only its replay is missing.
        logger.warning(
            "! no replay for session %d joining %s: %s",
            ctx.user.session_id,
            channel.name,
            error,
        )
        return
    for index, item in enumerate(items):
        if item.msgid == join_msgid:
            items = items[index + 1 :]
            break
    else:  # not kept (retention), or buried under more of its instant
        return
    messages = [item for item in items if item.command in MESSAGE_COMMANDS][:count]
    messages.sort(key=lambda item: (item.at, item.seq))
    if not messages:
        # Nothing to replay: nor will there be for later joins (more events
        # only push older lines further back) until a message is sent. One
        # sent while this read ran may be in history: then say nothing.
        if channel.messages == messages_before:
            channel.replay_quiet_at = messages_before
        return
    if batch:
        # A chathistory batch lets clients show these as history, not news.
        _send_batch(
            ctx,
            "chathistory",
            channel.name,
            lambda ref: [render_item(ctx, item, ref) for item in messages],
        )
        return
    what = "message" if len(messages) == 1 else f"{len(messages)} messages"
    ctx.send_line(
        f":{ctx.server_name} NOTICE {user.nick} :{channel.name}: the last {what}"
        " before you joined"
    )
    for item in messages:
        ctx.engine.send(user, render_item(ctx, item))
