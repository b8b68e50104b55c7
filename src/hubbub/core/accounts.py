"""Accounts: registering one, and logging in and out (where a user's account changes).

SASL, REGISTER/VERIFY and NickServ all end here.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hubbub.core.context import Context
from hubbub.core.errors import StandardReplyError, StoreUnavailableError
from hubbub.core.events import AccountChanged
from hubbub.core.ports import Account
from hubbub.core.services.names import is_service
from hubbub.core.services.reply import notice as service_notice
from hubbub.core.user import User, account_history_owner
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold, is_valid_nick
from hubbub.protocol.message import Message
from hubbub.protocol.sasl import unusable_password

if TYPE_CHECKING:
    from hubbub.core.engine import Engine


def log_in(ctx: Context, user: User, account: Account) -> None:
    """Attach `account` to `user`; 900 to the user, ACCOUNT to account-notify peers."""
    user.account_created_at = account.created_at
    if user.registered:
        ctx.apply(AccountChanged(user.nick, account.name))
    else:
        user.account = account.name
    if casefold(account.name) == user.key:
        user.nick_protection_deadline = None
    # Logged in before USER (SASL first, as irssi does): no username yet.
    mask = user.mask if user.username else f"{user.nick}!*@{user.host}"
    ctx.engine.send_numeric(
        user,
        n.RPL_LOGGEDIN,
        mask,
        account.name,
        text=f"You are now logged in as {account.name}",
    )


def log_out(ctx: Context, user: User) -> None:
    """Detach the user's account; 901 to the user, ACCOUNT * to peers."""
    if user.account is None:
        return
    if user.registered:
        ctx.apply(AccountChanged(user.nick, None))
    else:
        user.account = None
    user.account_created_at = None
    ctx.engine.send_numeric(
        user, n.RPL_LOGGEDOUT, user.mask, text="You are now logged out"
    )


def log_out_everywhere(
    engine: Engine,
    account: str,
    *,
    notice: str,
    created_at: float | None = None,
) -> list[float | None]:
    """Log out every session logged in to `account` (any case), each told
    why by a NickServ `notice`, but those logged in to the account that
    `created_at` names (when given); return, for each session logged out,
    when the account it was logged in to was created."""
    key = casefold(account)
    users = [
        user
        for user in engine.state.sessions.values()
        if user.account is not None
        and not user.quitting
        and casefold(user.account) == key
        and (created_at is None or user.account_created_at != created_at)
    ]
    ended = [user.account_created_at for user in users]
    for user in users:
        ctx = Context(engine, user, Message("NICKSERV"))
        log_out(ctx, user)
        service_notice(ctx, "NickServ", notice)
    return ended


async def log_out_deleted_accounts(engine: Engine) -> int:
    """Log out the sessions whose account no longer exists; return how many.

    An operator may delete an account from the shell (`hubbub accounts
    delete`) while sessions are logged in to it, and even create another
    of the same name (`create`). The app calls this every few seconds: such
    sessions are logged out, what their private messages added to the
    account's history since is deleted too (whoever holds the name next
    reads none of it, and the owner of an account created again under the
    name reads none of it either: `account_history_owner`), and a
    nick-protection grace period running for a name that is nobody's any
    more ends.
    """
    accounts = engine.accounts
    # Each account sessions are logged in to: its name, and the creation
    # times they logged in to.
    logged_in: dict[str, tuple[str, set[float | None]]] = {}
    for user in engine.state.sessions.values():
        if user.account is not None:
            entry = logged_in.setdefault(casefold(user.account), (user.account, set()))
            entry[1].add(user.account_created_at)
    gone = 0
    try:
        for name, logged_in_to in logged_in.values():
            # From memory, and rarely wrong: a "no" is read again before it
            # is given, and any doubt is confirmed from the database, so that
            # neither a blip nor a stale name logs anyone out.
            if logged_in_to == {await accounts.account_created_at(name)}:
                continue
            account = await accounts.get_account(name)
            current = None if account is None else account.created_at
            count = len(
                log_out_everywhere(
                    engine,
                    name,
                    notice=f"Your account {name} no longer exists",
                    created_at=current,
                )
            )
            if count:
                logger.info(
                    "= logged out %d sessions of deleted account %s", count, name
                )
            # What those sessions' private messages added to the deleted
            # account's history since it was deleted: nobody can read it now.
            ended = logged_in_to if current is None else logged_in_to - {current}
            await forget_account_histories(engine, name, ended)
            gone += count
        for user in list(engine.state.sessions.values()):
            nick = user.nick
            if user.nick_protection_deadline is None:
                continue
            # Unless renamed while we looked.
            if not await accounts.account_exists(nick) and user.nick == nick:
                user.nick_protection_deadline = None
    finally:
        engine.flush()  # not from a client's line: nothing else would flush
    return gone


async def recheck_unchecked_nicks(engine: Engine) -> int:
    """Nick protection for the nicks taken while the account store could
    not say whose they were (`protect_nick`); return how many were checked.
    Stops at the first that still cannot be (the store is still down: the
    next call tries again)."""
    checked = 0
    try:
        for user in list(engine.state.sessions.values()):
            if not user.nick_unchecked or user.quitting:
                continue
            if not await protect_nick(Context(engine, user, Message("NICK")), user):
                break
            checked += 1
    finally:
        engine.flush()  # not from a client's line: nothing else would flush
    return checked


async def forget_account_histories(
    engine: Engine, name: str, created_at: Iterable[float | None]
) -> None:
    """Delete the private histories of the accounts called `name` that were
    created at these times (deleted since: `account_history_owner`). A
    failure is logged, not raised: the sessions were logged out already,
    and the next start deletes what is left
    (`forget_orphaned_account_histories`)."""
    for when in set(created_at):
        owner = account_history_owner(name, when)
        try:
            await engine.history.forget(owner)
        except StoreUnavailableError as error:
            logger.error("! could not delete %s's private history: %s", owner, error)
        except Exception:  # a bug: the other names are still tried
            logger.exception("! could not delete %s's private history", owner)


async def current_account(ctx: Context) -> Account | None:
    """The account the caller is logged in to, as stored; None when they
    are not logged in. A session still logged in to an account deleted
    since (and perhaps created again under its name, by someone else) is
    logged out now, told why, and gets None: it must not act on that
    name's account in the few seconds before `log_out_deleted_accounts`
    would notice."""
    user = ctx.user
    if user.account is None:
        return None
    account = await ctx.engine.accounts.get_account(user.account)
    if account is not None and account.created_at == user.account_created_at:
        return account
    name, created_at = user.account, user.account_created_at  # log_out clears
    log_out(ctx, user)
    service_notice(ctx, "NickServ", f"Your account {name} no longer exists")
    await forget_account_histories(ctx.engine, name, [created_at])
    return None


async def forget_orphaned_account_histories(engine: Engine) -> int:
    """Delete the private history of every account that no longer exists
    (or exists again, created anew under its name); return how many.

    `hubbub accounts delete`, NickServ DROP and `log_out_deleted_accounts`
    delete such a history as they go; this catches what a crash between
    the two steps left. For the app's start-up: it reads every account
    history's name.
    """
    accounts = engine.accounts
    orphans = []
    for owner in await engine.history.owners("a:"):
        name = owner[2:].partition(":")[0]
        created_at = await accounts.account_created_at(name)
        if created_at is not None and owner == account_history_owner(name, created_at):
            continue
        # Confirmed from the database: the names in memory may be a moment old.
        account = await accounts.get_account(name)
        if account is not None and owner == account_history_owner(
            account.name, account.created_at
        ):
            continue
        orphans.append(owner)
    for owner in orphans:
        await engine.history.forget(owner)
    if orphans:
        logger.info(
            "= deleted the private history of %d deleted accounts", len(orphans)
        )
    return len(orphans)


logger = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_registration(ctx: Context, name: str, email: str, password: str) -> str:
    """Validate a REGISTER; return the account name.

    Raises:
        StandardReplyError: the FAIL REGISTER code the spec names.
    """
    user, settings = ctx.user, ctx.config.accounts
    if not settings.registration:
        raise StandardReplyError(
            "REGISTER", "TEMPORARILY_UNAVAILABLE", name, text="Registration is disabled"
        )
    if user.account is not None:
        raise StandardReplyError(
            "REGISTER",
            "ALREADY_AUTHENTICATED",
            user.account,
            text="You are already logged in",
        )
    if not user.registered and not settings.registration_before_connect:
        raise StandardReplyError(
            "REGISTER",
            "COMPLETE_CONNECTION_REQUIRED",
            name,
            text="Finish connecting before registering",
        )
    if name == "*":
        if user.nick != "*":
            name = user.nick
        elif user.requested_nick is not None:
            name = user.requested_nick  # refused (in use): checked below
        else:
            raise StandardReplyError(
                "REGISTER", "NEED_NICK", "*", text="Choose a nick first"
            )
    if not is_valid_nick(name, ctx.config.limits.nick_length) or is_service(name):
        raise StandardReplyError(
            "REGISTER",
            "BAD_ACCOUNT_NAME",
            name,
            text="That account name is not allowed",
        )
    holder = ctx.state.users.get(casefold(name))
    if holder is not None and holder is not user:
        # No land grabs: the name is someone else's nick right now.
        raise StandardReplyError(
            "REGISTER", "ACCOUNT_EXISTS", name, text="That name is in use"
        )
    if settings.email_required and not _EMAIL.match(email):
        raise StandardReplyError(
            "REGISTER", "INVALID_EMAIL", name, text="A valid e-mail address is required"
        )
    refusal = password_refusal(ctx, password)
    if refusal is not None:
        code, text = refusal
        raise StandardReplyError("REGISTER", code, name, text=text)
    return name


def password_refusal(ctx: Context, password: str) -> tuple[str, str] | None:
    """Why `password` cannot be an account's new password, or None if it can.

    Returns the FAIL REGISTER code (draft/account-registration) and a text:
    WEAK_PASSWORD when it is too short, UNACCEPTABLE_PASSWORD when SCRAM
    cannot take it (a control character, say).
    """
    minimum = ctx.config.accounts.min_password_length
    if len(password) < minimum:
        return "WEAK_PASSWORD", f"Use at least {minimum} characters"
    problem = unusable_password(password)
    if problem is not None:
        return "UNACCEPTABLE_PASSWORD", problem
    return None


async def register_account(
    ctx: Context, name: str, email: str | None, password: str
) -> Account:
    """Create an account for the caller (hash off the loop, then store).

    Raises:
        StandardReplyError: FAIL REGISTER ACCOUNT_EXISTS when the name is taken.
    """
    password_hash, scram = await ctx.engine.passwords.new_credentials(password)
    needs_code = ctx.config.accounts.email_required
    account = Account(
        name=name,
        password_hash=password_hash,
        scram=scram,
        created_at=ctx.now(),
        email=email,
        verified=not needs_code,
        verification_code=secrets.token_hex(4) if needs_code else None,
    )
    try:
        created = await ctx.engine.accounts.create_account(account)
    except StoreUnavailableError as error:
        logger.warning("! account %s not registered: %s", name, error)
        raise StandardReplyError(
            "REGISTER",
            "TEMPORARILY_UNAVAILABLE",
            name,
            text="Accounts cannot be stored right now; try again later",
        ) from error
    if not created:
        raise StandardReplyError(
            "REGISTER", "ACCOUNT_EXISTS", name, text="That account already exists"
        )
    logger.info("= account %s registered by session %d", name, ctx.user.session_id)
    # Sessions still logged in to an account of this name that was deleted
    # (from the shell, a moment ago) must not become the new account's; what
    # they sent since it was deleted is nobody's.
    ended = log_out_everywhere(
        ctx.engine,
        name,
        notice=f"Your account {name} no longer exists",
        created_at=account.created_at,
    )
    await forget_account_histories(ctx.engine, name, ended)
    if account.verification_code is not None:
        # No mail transport yet: the operator reads the code from the log.
        logger.warning(
            "= verification code for account %s <%s>: %s",
            name,
            email,
            account.verification_code,
        )
    return account


async def protect_nick(ctx: Context, user: User) -> bool:
    """Start the grace period when `user` takes a registered nick not theirs.

    Returns False when the account store could not say whose the nick is
    (`recheck_unchecked_nicks` asks again), True otherwise.
    """
    user.nick_protection_deadline = None
    user.nick_unchecked = False
    grace = ctx.config.accounts.nick_protection_seconds
    if grace <= 0 or (user.account is not None and casefold(user.account) == user.key):
        return True
    nick = user.nick
    try:
        # Most nicks are no account's: answered from memory, without a query.
        if not await ctx.engine.accounts.account_exists(nick):
            return True
        account = await ctx.engine.accounts.get_account(nick)
    except StoreUnavailableError as error:
        # The nick is taken already; whose it is is asked again once the
        # store answers (`recheck_unchecked_nicks`).
        logger.warning("! could not check whether %s is registered: %s", nick, error)
        if user.nick == nick:  # a later nick's own check clears it
            user.nick_unchecked = True
        return False
    if account is None or user.nick != nick or user.quitting:
        return True  # unregistered, or the nick changed while we looked
    if user.account is not None and casefold(user.account) == user.key:
        return True  # logged in to it while we looked
    user.nick_protection_deadline = ctx.now() + grace
    service_notice(
        ctx,
        "NickServ",
        f"{nick} is a registered nick. Log in within {int(grace)} seconds"
        " (NS IDENTIFY <password>) or you will be renamed.",
    )
    return True
