"""`hubbub accounts`: the operator's account tools, straight on the storage.

They open the same database as `hubbub serve` (same settings), so they work
while the server is stopped; with SQLite they also work while it runs (WAL).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hubbub.config import Config, ConfigError, load_config
from hubbub.core.ports import Account, AccountStore
from hubbub.core.services.names import is_service
from hubbub.core.user import account_history_owner
from hubbub.password_input import read_new_password
from hubbub.protocol.casemap import is_valid_nick
from hubbub.protocol.sasl import unusable_password
from hubbub.storage.errors import StorageError
from hubbub.storage.passwords import Argon2Passwords

if TYPE_CHECKING:
    from hubbub.storage.open import Storage

T = TypeVar("T")


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"hubbub accounts: {message}", err=True)
    raise SystemExit(code)


def _config(config_path: Path | None, data_dir: Path | None) -> Config:
    try:
        return load_config(config_path, overrides={"data_dir": data_dir})
    except ConfigError as error:
        _fail(str(error), 2)
        raise  # unreachable: _fail exits


def _with_store(config: Config, action: Callable[[AccountStore], Awaitable[T]]) -> T:
    return _with_storage(config, lambda storage: action(storage.accounts))


def _with_storage(config: Config, action: Callable[[Storage], Awaitable[T]]) -> T:
    # Imported here: SQLAlchemy and Alembic would slow every `hubbub` command.
    from hubbub.storage.open import MEMORY, open_storage

    if config.storage_url() == MEMORY:
        _fail("the storage is 'memory', which keeps nothing: there are no accounts")

    async def run() -> T:
        storage = await open_storage(config.storage_url())
        try:
            return await action(storage)
        finally:
            await storage.close()

    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _fail(f"cannot use the data directory {config.data_dir}: {error.strerror}")
    try:
        return asyncio.run(run())
    except (StorageError, ValueError) as error:
        _fail(f"cannot open storage: {error}")
        raise  # unreachable


def _password(password: str | None, config: Config) -> str:
    if password is None:
        password = read_new_password()
    if len(password) < 1:
        _fail("the password must not be empty", 2)
    problem = unusable_password(password)
    if problem is not None:
        _fail(problem, 2)
    minimum = config.accounts.min_password_length  # as the server asks
    if len(password) < minimum:
        _fail(f"the password must have at least {minimum} characters", 2)
    return password


def _options(function: Any) -> Any:
    function = click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        help="The server's data directory.",
    )(function)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The server's TOML settings.",
    )(function)


@click.group()
def accounts() -> None:
    """Manage accounts in hubbub's storage (list, create, reset-password, delete)."""


@accounts.command("list")
@_options
def list_accounts(config_path: Path | None, data_dir: Path | None) -> None:
    """List every account."""
    found = _with_store(
        _config(config_path, data_dir), lambda store: store.list_accounts()
    )
    for account in found:
        created = time.strftime("%Y-%m-%d", time.gmtime(account.created_at))
        state = "" if account.verified else "  (unverified)"
        email = f"  <{account.email}>" if account.email else ""
        click.echo(f"{account.name}  created {created}{email}{state}")
    click.echo(f"{len(found)} account(s)")


@accounts.command()
@_options
@click.argument("name")
@click.option("--password", help="The password (asked for when omitted).")
@click.option("--email", help="An e-mail address to keep with it.")
def create(
    config_path: Path | None,
    data_dir: Path | None,
    name: str,
    password: str | None,
    email: str | None,
) -> None:
    """Create account NAME."""
    config = _config(config_path, data_dir)
    if not is_valid_nick(name, config.limits.nick_length) or is_service(name):
        _fail(f"{name!r} is not a valid account name", 2)
    secret = _password(password, config)

    async def action(store: AccountStore) -> bool:
        password_hash, scram = await Argon2Passwords().new_credentials(secret)
        account = Account(name, password_hash, scram, time.time(), email=email)
        return await store.create_account(account)

    if not _with_store(config, action):
        _fail(f"account {name} already exists")
    click.echo(f"created account {name}")


@accounts.command("reset-password")
@_options
@click.argument("name")
@click.option("--password", help="The new password (asked for when omitted).")
def reset_password(
    config_path: Path | None, data_dir: Path | None, name: str, password: str | None
) -> None:
    """Give account NAME a new password."""
    config = _config(config_path, data_dir)
    secret = _password(password, config)

    async def action(store: AccountStore) -> bool:
        account = await store.get_account(name)
        if account is None:
            return False
        password_hash, scram = await Argon2Passwords().new_credentials(secret)
        return await store.update_account(
            replace(account, password_hash=password_hash, scram=scram)
        )

    if not _with_store(config, action):
        _fail(f"no account {name}")
    click.echo(f"password of {name} reset")


@accounts.command()
@_options
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(
    config_path: Path | None, data_dir: Path | None, name: str, yes: bool
) -> None:
    """Delete account NAME."""
    config = _config(config_path, data_dir)
    if not yes:
        click.confirm(f"Delete account {name}?", abort=True)
    if not _with_storage(config, lambda storage: _delete(storage, name)):
        _fail(f"no account {name}")
    click.echo(f"deleted account {name}")


async def _delete(storage: Storage, name: str) -> bool:
    """Delete the account and its private history (the other parties keep
    their copies), so that whoever registers the name next reads none of it."""
    account = await storage.accounts.get_account(name)
    if account is None or not await storage.accounts.delete_account(name):
        return False
    await storage.history.forget(account_history_owner(name, account.created_at))
    return True
