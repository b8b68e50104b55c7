"""NickServ: REGISTER, IDENTIFY, LOGOUT, DROP, SET PASSWORD, GHOST, INFO, HELP.

All on the same account store as IRCv3 REGISTER and SASL.
"""

from __future__ import annotations

import time
from dataclasses import replace

from hubbub.core.accounts import (
    check_registration,
    current_account,
    forget_account_histories,
    log_in,
    log_out,
    log_out_everywhere,
    password_refusal,
    register_account,
)
from hubbub.core.context import Context
from hubbub.core.errors import StandardReplyError
from hubbub.core.services.reply import notice, run_command
from hubbub.protocol.casemap import casefold

NAME = "NickServ"

HELP = [
    "NickServ keeps accounts. Commands:",
    "REGISTER <password> [email]   register your current nick as an account",
    "IDENTIFY [account] <password> log in",
    "LOGOUT                        log out",
    "SET PASSWORD <new password>   change your password",
    "GHOST <nick>                  disconnect a session using your nick",
    "DROP <password>               delete your account",
    "INFO [account]                about an account",
    "CERT ADD|DEL|LIST [fp]        TLS client certificates for SASL EXTERNAL",
]


def _say(ctx: Context, text: str) -> None:
    notice(ctx, NAME, text)


async def handle(ctx: Context, words: list[str]) -> None:
    """Run one NickServ command."""
    await run_command(ctx, NAME, _COMMANDS, words)


async def _register(ctx: Context, args: list[str]) -> None:
    if not args:
        _say(ctx, "Syntax: REGISTER <password> [email]")
        return
    email = args[1] if len(args) > 1 else "*"
    try:
        name = check_registration(ctx, "*", email, args[0])
        account = await register_account(
            ctx, name, None if email == "*" else email, args[0]
        )
    except StandardReplyError as error:
        _say(ctx, error.text)
        return
    if not account.verified:
        _say(
            ctx,
            f"Account created; check {email} for the code, then VERIFY {name} <code>",
        )
        return
    _say(ctx, "Account created")
    log_in(ctx, ctx.user, account)


async def _identify(ctx: Context, args: list[str]) -> None:
    if not args or len(args) > 2:
        _say(ctx, "Syntax: IDENTIFY [account] <password>")
        return
    name, password = (args[0], args[1]) if len(args) == 2 else (ctx.user.nick, args[0])
    if ctx.user.account is not None:
        _say(ctx, f"You are already logged in as {ctx.user.account}")
        return
    account = await ctx.engine.accounts.get_account(name)
    if (
        account is None
        or not account.verified
        or not await ctx.engine.verify_password(account.password_hash, password)
    ):
        _say(ctx, "Invalid account or password")
        return
    log_in(ctx, ctx.user, account)
    _say(ctx, f"You are now identified as {account.name}")


async def _logout(ctx: Context, args: list[str]) -> None:
    if ctx.user.account is None:
        _say(ctx, "You are not logged in")
        return
    log_out(ctx, ctx.user)
    _say(ctx, "You are now logged out")


async def _set(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or args[0].upper() != "PASSWORD":
        _say(ctx, "Syntax: SET PASSWORD <new password>")
        return
    if ctx.user.account is None:
        _say(ctx, "Log in first")
        return
    refusal = password_refusal(ctx, args[1])
    if refusal is not None:
        _say(ctx, refusal[1])
        return
    account = await current_account(ctx)
    if account is None:
        return  # deleted under the session, which is now logged out
    password_hash, scram = await ctx.engine.passwords.new_credentials(args[1])
    await ctx.engine.accounts.update_account(
        replace(account, password_hash=password_hash, scram=scram)
    )
    _say(ctx, "Password changed")


async def _drop(ctx: Context, args: list[str]) -> None:
    if ctx.user.account is None or len(args) != 1:
        _say(ctx, "Log in, then: DROP <password>")
        return
    account = await current_account(ctx)
    if account is None:
        return  # deleted under the session, which is now logged out
    if not await ctx.engine.verify_password(account.password_hash, args[0]):
        _say(ctx, "Wrong password")
        return
    await ctx.engine.accounts.delete_account(account.name)
    log_out(ctx, ctx.user)
    # The account's other sessions, and any still logged in to an account
    # deleted before under its name: their histories go too.
    ended = log_out_everywhere(
        ctx.engine, account.name, notice=f"Your account {account.name} was dropped"
    )
    # Its private history goes with it: whoever registers the name next
    # reads none of it (the other parties keep their copies).
    await forget_account_histories(
        ctx.engine, account.name, [account.created_at, *ended]
    )
    _say(ctx, f"Account {account.name} dropped")


async def _ghost(ctx: Context, args: list[str]) -> None:
    if len(args) != 1:
        _say(ctx, "Syntax: GHOST <nick>")
        return
    target = ctx.state.find_user(args[0])
    if target is None or target is ctx.user:
        _say(ctx, f"{args[0]} is not online")
        return
    owner = ctx.user.account
    owns_nick = owner is not None and casefold(owner) == casefold(target.nick)
    same_account = owner is not None and target.account == owner
    if not (owns_nick or same_account):
        _say(ctx, f"{target.nick} is not yours")
        return
    ctx.engine.disconnect(target, f"Ghosted by {ctx.user.nick}")
    _say(ctx, f"{args[0]} has been disconnected")


async def _cert(ctx: Context, args: list[str]) -> None:
    """CERT ADD [fingerprint] | CERT DEL <fingerprint> | CERT LIST."""
    action = args[0].upper() if args else ""
    if ctx.user.account is None:
        _say(ctx, "Log in first")
        return
    account = await current_account(ctx)
    if account is None:
        return  # deleted under the session, which is now logged out
    if action not in ("ADD", "DEL", "LIST"):
        _say(ctx, "Syntax: CERT ADD [fingerprint] | CERT DEL <fingerprint> | CERT LIST")
        return
    if action == "LIST":
        for certfp in account.certfps:
            _say(ctx, f"Certificate: {certfp}")
        _say(ctx, f"{len(account.certfps)} certificate(s)")
        return
    certfp = (
        (args[1] if len(args) > 1 else ctx.user.certfp or "").lower().replace(":", "")
    )
    if len(certfp) != 64 or any(c not in "0123456789abcdef" for c in certfp):
        _say(ctx, "Give a SHA-256 fingerprint, or connect with your certificate")
        return
    if action == "ADD":
        updated = replace(account, certfps=tuple(sorted({*account.certfps, certfp})))
        message = f"Certificate {certfp} added: you can now log in with SASL EXTERNAL"
    else:
        updated = replace(
            account, certfps=tuple(c for c in account.certfps if c != certfp)
        )
        message = f"Certificate {certfp} removed"
    await ctx.engine.accounts.update_account(updated)
    _say(ctx, message)


async def _info(ctx: Context, args: list[str]) -> None:
    name = args[0] if args else (ctx.user.account or ctx.user.nick)
    account = await ctx.engine.accounts.get_account(name)
    if account is None:
        _say(ctx, f"{name} is not registered")
        return
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(account.created_at))
    _say(ctx, f"{account.name}: registered {when}")


async def _help(ctx: Context, args: list[str]) -> None:
    for text in HELP:
        _say(ctx, text)


_COMMANDS = {
    "REGISTER": _register,
    "IDENTIFY": _identify,
    "LOGIN": _identify,
    "LOGOUT": _logout,
    "SET": _set,
    "DROP": _drop,
    "GHOST": _ghost,
    "INFO": _info,
    "CERT": _cert,
    "HELP": _help,
}
