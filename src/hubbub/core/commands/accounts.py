"""Accounts: SASL (AUTHENTICATE), and IRCv3 account-registration (REGISTER, VERIFY).

https://ircv3.net/specs/extensions/sasl-3.1
https://ircv3.net/specs/extensions/account-registration
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace

from hubbub.core.accounts import check_registration, log_in, register_account
from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError, StandardReplyError, StoreUnavailableError
from hubbub.core.ports import Account
from hubbub.core.sasl import SaslAttempt
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold
from hubbub.protocol.message import Message
from hubbub.protocol.sasl import (
    MECHANISMS,
    SaslError,
    SaslTooLongError,
    ScramExchange,
    ScramKeys,
    encode_chunks,
    parse_plain,
    scram_username,
)

logger = logging.getLogger(__name__)


# SASL


def _sasl_fail(ctx: Context) -> None:
    ctx.user.sasl = None
    ctx.reply(n.ERR_SASLFAIL)


def _sasl_send(ctx: Context, payload: bytes) -> None:
    for chunk in encode_chunks(payload):
        ctx.send_line(f"AUTHENTICATE {chunk}")


async def _sasl_plain(ctx: Context, payload: bytes) -> None:
    credentials = parse_plain(payload)
    if credentials.authzid and casefold(credentials.authzid) != casefold(
        credentials.authcid
    ):
        raise SaslError("authorization identity differs")
    account = await ctx.engine.accounts.get_account(credentials.authcid)
    if account is None or not account.verified:
        raise SaslError("no such account")
    if not await ctx.engine.verify_password(
        account.password_hash, credentials.password
    ):
        raise SaslError("wrong password")
    _sasl_success(ctx, account)


async def _sasl_scram(ctx: Context, attempt: SaslAttempt, payload: bytes) -> None:
    # client-first -> server-first; client-final -> server-final; "+" -> 903.
    if attempt.scram is None:
        name = scram_username(payload)
        account = await ctx.engine.accounts.get_account(name)
        if account is None or account.scram is None or not account.verified:
            raise SaslError("no such account")
        scram = account.scram
        keys = ScramKeys(
            scram.salt, scram.iterations, scram.stored_key, scram.server_key
        )
        attempt.scram = ScramExchange(keys)
        attempt.scram_account = account.name
        _sasl_send(ctx, attempt.scram.server_first(payload))
    elif not attempt.proven:
        _sasl_send(ctx, attempt.scram.server_final(payload))
        attempt.proven = True
    else:
        assert attempt.scram_account is not None
        account_found = await ctx.engine.accounts.get_account(attempt.scram_account)
        if account_found is None:
            raise SaslError("account vanished")
        _sasl_success(ctx, account_found)


async def _sasl_external(ctx: Context, payload: bytes) -> None:
    """EXTERNAL: the TLS client certificate's fingerprint names the account."""
    certfp = ctx.user.certfp
    if certfp is None:
        raise SaslError("no client certificate")
    account = await ctx.engine.accounts.find_account_by_certfp(certfp)
    if account is None or not account.verified:
        raise SaslError("certificate not known")
    authzid = payload.decode("utf-8", errors="replace")
    if authzid and casefold(authzid) != casefold(account.name):
        raise SaslError("authorization identity differs")
    _sasl_success(ctx, account)


def _sasl_success(ctx: Context, account: Account) -> None:
    ctx.user.sasl = None
    log_in(ctx, ctx.user, account)
    ctx.reply(n.RPL_SASLSUCCESS)


@command("AUTHENTICATE", min_params=1, before_registration=True)
async def handle_authenticate(ctx: Context, msg: Message) -> None:
    """SASL authentication: AUTHENTICATE <mechanism>, then base64 chunks (* aborts)."""
    user = ctx.user
    if user.account is not None:
        raise IrcError(n.ERR_SASLALREADY)
    attempt = user.sasl
    argument = msg.params[0]
    if argument == "*":
        user.sasl = None
        raise IrcError(n.ERR_SASLABORTED)
    if attempt is None:
        mechanism = argument.upper()
        if mechanism not in MECHANISMS:
            ctx.reply(n.RPL_SASLMECHS, ",".join(MECHANISMS))
            raise IrcError(n.ERR_SASLFAIL)
        user.sasl = SaslAttempt(mechanism)
        ctx.send_line("AUTHENTICATE +")
        return
    try:
        payload = attempt.buffer.feed(argument)
        if payload is None:
            return
        if attempt.mechanism == "PLAIN":
            await _sasl_plain(ctx, payload)
        elif attempt.mechanism == "EXTERNAL":
            await _sasl_external(ctx, payload)
        else:
            await _sasl_scram(ctx, attempt, payload)
    except SaslTooLongError:
        user.sasl = None
        ctx.reply(n.ERR_SASLTOOLONG)
    except SaslError as error:
        logger.info("= session %d: SASL failed: %s", user.session_id, error)
        _sasl_fail(ctx)
    except StoreUnavailableError as error:
        # The account could not be read: a failure the client may retry.
        logger.warning("! session %d: SASL failed: %s", user.session_id, error)
        _sasl_fail(ctx)


# REGISTER / VERIFY


@command("REGISTER", min_params=3, before_registration=True)
async def handle_register(ctx: Context, msg: Message) -> None:
    """Create an account: REGISTER <account|*> <email|*> <password>."""
    name, email, password = msg.params[0], msg.params[1], msg.params[2]
    name = check_registration(ctx, name, email, password)
    account = await register_account(
        ctx, name, None if email == "*" else email, password
    )
    if not account.verified:
        ctx.send_line(
            f":{ctx.server_name} REGISTER VERIFICATION_REQUIRED {name} "
            f":Check {email} for the code, then VERIFY {name} <code>"
        )
        return
    ctx.send_line(f":{ctx.server_name} REGISTER SUCCESS {name} :Account created")
    log_in(ctx, ctx.user, account)


@command("VERIFY", min_params=2, before_registration=True)
async def handle_verify(ctx: Context, msg: Message) -> None:
    """Finish a registration with the code sent by e-mail: VERIFY <account> <code>."""
    name, code = msg.params[0], msg.params[1]
    account = await ctx.engine.accounts.get_account(name)
    if account is None:
        raise StandardReplyError("VERIFY", "INVALID_CODE", name, text="No such account")
    if account.verified:
        raise StandardReplyError(
            "VERIFY",
            "ALREADY_AUTHENTICATED",
            name,
            text="That account is already verified",
        )
    if account.verification_code is None or not secrets.compare_digest(
        account.verification_code, code
    ):
        raise StandardReplyError("VERIFY", "INVALID_CODE", name, text="Wrong code")
    verified = replace(account, verified=True, verification_code=None)
    await ctx.engine.accounts.update_account(verified)
    ctx.send_line(
        f":{ctx.server_name} VERIFY SUCCESS {verified.name} :Account verified"
    )
    log_in(ctx, ctx.user, verified)
