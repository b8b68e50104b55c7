"""The `hubbub` command line: serve, chat, accounts, bench, hash-password."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from hubbub import __version__
from hubbub.config import ConfigError, load_config


def _fail(message: str, code: int) -> None:
    click.echo(f"hubbub: {message}", err=True)
    sys.exit(code)


@click.group()
@click.version_option(__version__, prog_name="hubbub")
def main() -> None:
    """hubbub: a chat server that speaks IRC, and its clients."""


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings file (see hubbub.example.toml).",
)
@click.option("--host", help="Address to listen on for IRC [127.0.0.1].")
@click.option("--port", help="TCP port for IRC [6667].")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), help="Where hubbub keeps its data."
)
@click.option("--server-name", help="The server's name in IRC [hubbub.local].")
@click.option(
    "--network-name", help="The network's name (NETWORK in ISUPPORT) [hubbub]."
)
@click.option("--log-level", help="debug, info, warning or error [info].")
@click.option("--tls-port", help="TCP port for IRC over TLS [6697].")
@click.option(
    "--web-port", help="HTTP port for the browser client and WebSocket [8080]."
)
def serve(
    config_path: Path | None, tls_port: str | None, web_port: str | None, **flags: Any
) -> None:
    """Run the chat server: IRC on 127.0.0.1:6667, TLS on 6697, the web on 8080."""
    if tls_port is not None:
        flags["tls"] = {"port": tls_port}
    if web_port is not None:
        flags["web"] = {"port": web_port}
    try:
        config = load_config(config_path, overrides=flags)
    except ConfigError as error:
        _fail(str(error), 2)
        return
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if config.log_level != "debug":
        # Alembic narrates every migration step at INFO; ours says it in one line.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    from hubbub.app import run_server
    from hubbub.storage.errors import StorageError
    from hubbub.transport.tls import CertificateError

    try:
        run_server(config)
    except CertificateError as error:
        _fail(f"cannot start TLS: {error}", 2)
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        _fail(f"cannot start: {error.strerror or error}{where}", 1)
    except StorageError as error:
        _fail(f"cannot open storage: {error}", 1)
    except ValueError as error:
        _fail(f"invalid storage URL: {error}", 2)
    except KeyboardInterrupt:
        pass


@main.command("hash-password")
@click.argument("password", required=False)
def hash_password_command(password: str | None) -> None:
    """Print an argon2 hash of PASSWORD for an [[operators]] entry (asks if omitted)."""
    from hubbub.password_input import read_new_password
    from hubbub.storage.passwords import hash_password

    if password is None:
        password = read_new_password()
    if not password:
        _fail("the password must not be empty", 2)
    click.echo(hash_password(password))


def _add_subcommands() -> None:
    from hubbub.admin import accounts
    from hubbub.bench.cli import bench

    main.add_command(bench)
    main.add_command(accounts)


_add_subcommands()


@main.command()
@click.argument("address", required=False, metavar="[HOST[:PORT] | URL]")
@click.option("--nick", help="Your nickname (asked for when not given).")
@click.option("--channel", help="The room to join [#lobby, or the URL's].")
@click.option("--tls", is_flag=True, help="Connect with TLS (port 6697 by default).")
@click.option(
    "--insecure",
    is_flag=True,
    help="With --tls or ircs://: skip the certificate check.",
)
@click.option(
    "--plain",
    is_flag=True,
    help="Line mode, lines in and out (automatic when not on a terminal).",
)
def chat(
    address: str | None,
    nick: str | None,
    channel: str | None,
    tls: bool,
    insecure: bool,
    plain: bool,
) -> None:
    """Chat on an IRC server (asks for the server and a nickname when not given).

    The server is HOST[:PORT] or an IRC URL: irc://HOST[:PORT][/ROOM], or
    ircs://... for TLS.
    """
    from hubbub.client.launch import ChatArguments, run_chat

    arguments = ChatArguments(address, nick, channel, tls, insecure, plain)
    try:
        status = run_chat(arguments)
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)
