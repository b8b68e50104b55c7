"""`hubbub chat` start-up: questions, checks, bad input as one line (no traceback)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from hubbub.client.connection import ServerAddress
from hubbub.client.launch import ChatArguments, complete_options
from hubbub.client.options import OptionError
from hubbub.client.runner import ChatOptions


def run_chat(*args: str, answers: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m hubbub chat ARGS` with `answers` on its input."""
    return subprocess.run(
        [sys.executable, "-m", "hubbub", "chat", *args],
        input=answers,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Answers:
    """Scripted answers to the start-up questions, and what was said back."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.said: list[str] = []

    async def ask(self, prompt: str) -> str | None:
        """Answer the next question (None once the script runs out)."""
        self.prompts.append(prompt)
        return self.answers.pop(0) if self.answers else None

    def say(self, text: str) -> None:
        """Keep what the program said."""
        self.said.append(text)


async def test_no_arguments_asks_the_seeds_questions_with_defaults() -> None:
    answers = Answers("", "", "Alice")
    options = await complete_options(ChatArguments(), answers.ask, answers.say)
    assert answers.prompts == [
        "Server [127.0.0.1]: ",
        "Port [6667]: ",
        "Choose your nickname: ",
    ]
    assert options == ChatOptions(
        ServerAddress("127.0.0.1", 6667), "Alice", ("#lobby",)
    )


async def test_a_bad_answer_is_explained_and_asked_again() -> None:
    answers = Answers("irc.example.org", "70000", "6697", "", "Bob Smith", "Bob")
    options = await complete_options(ChatArguments(), answers.ask, answers.say)
    assert answers.said == [
        "The port must be a number from 1 to 65535, not '70000'.",
        "The nickname must not be empty.",
        "A nickname cannot contain spaces.",
    ]
    assert (options.address.host, options.address.port, options.nick) == (
        "irc.example.org",
        6697,
        "Bob",
    )


async def test_the_command_line_skips_the_questions() -> None:
    answers = Answers()
    arguments = ChatArguments("[::1]", "Alice", "tea", tls=True, insecure=True)
    options = await complete_options(arguments, answers.ask, answers.say)
    assert answers.prompts == []
    assert options == ChatOptions(
        ServerAddress("::1", 6697, tls=True, verify_certificate=False),
        "Alice",
        ("#tea",),
    )


@pytest.mark.parametrize(
    ("address", "channel", "expected_address", "channels"),
    [
        (
            "ircs://irc.example.org",
            None,
            ServerAddress("irc.example.org", 6697, True),
            ("#lobby",),
        ),
        (
            "IRCS://irc.example.org:7000/tea",
            None,
            ServerAddress("irc.example.org", 7000, True),
            ("#tea",),
        ),
        (
            "irc://irc.example.org/%23tea",
            None,
            ServerAddress("irc.example.org", 6667),
            ("#tea",),
        ),
        (
            "irc://irc.example.org/#tea,needkey",
            "#cake",
            ServerAddress("irc.example.org", 6667),
            ("#tea", "#cake"),
        ),
        ("irc://[::1]:6668/", "tea", ServerAddress("::1", 6668), ("#tea",)),
        (
            "irc://irc.example.org/tea",
            "#tea",
            ServerAddress("irc.example.org", 6667),
            ("#tea",),
        ),
    ],
)
async def test_an_irc_url_names_the_server_tls_and_room(
    address: str,
    channel: str | None,
    expected_address: ServerAddress,
    channels: tuple[str, ...],
) -> None:
    answers = Answers()
    arguments = ChatArguments(address, "Alice", channel)
    options = await complete_options(arguments, answers.ask, answers.say)
    assert answers.prompts == []
    assert options == ChatOptions(expected_address, "Alice", channels)


async def test_an_ircs_url_takes_insecure() -> None:
    arguments = ChatArguments("ircs://[::1]", "Alice", insecure=True)
    options = await complete_options(arguments, Answers().ask, Answers().say)
    assert options.address == ServerAddress(
        "::1", 6697, tls=True, verify_certificate=False
    )


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("http://irc.example.org", "speaks irc:// and ircs://, not http://"),
        ("irc://irc.example.org/alice,isnick", "names a nickname"),
        ("irc://irc.example.org:99999/", "from 1 to 65535"),
        ("irc:///tea", "not a server name"),
        ("irc://irc.example.org/te%20a", "cannot be a room"),
        # An escaped comma is part of the name, not a flag.
        ("irc://irc.example.org/alice%2Cisnick", "cannot be a room"),
    ],
)
async def test_a_bad_irc_url_is_an_option_error(address: str, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        await complete_options(
            ChatArguments(address, "Alice"), Answers().ask, Answers().say
        )


async def test_insecure_without_tls_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="--insecure goes with --tls or an ircs://"):
        await complete_options(
            ChatArguments("irc://host", "Alice", insecure=True),
            Answers().ask,
            Answers().say,
        )


async def test_the_end_of_input_during_a_question_is_an_option_error() -> None:
    answers = Answers("", "")
    with pytest.raises(OptionError, match="Choose your nickname"):
        await complete_options(ChatArguments(), answers.ask, answers.say)


@pytest.mark.parametrize(
    ("args", "answers", "message"),
    [
        (["127.0.0.1:6667", "--nick", ""], "", "The nickname must not be empty."),
        (["127.0.0.1:6667", "--nick", "Bob Smith"], "", "cannot contain spaces"),
        (["127.0.0.1:70000", "--nick", "Bob"], "", "from 1 to 65535, not '70000'"),
        (["127.0.0.1:0", "--nick", "Bob"], "", "from 1 to 65535, not '0'"),
        (["--channel", "#a,#b", "127.0.0.1", "--nick", "Bob"], "", "cannot be a room"),
        ([], "\n99999\n", "No answer to 'Port [6667]:'"),
        ([], "\n\n\n", "No answer to 'Choose your nickname:'"),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(
    args: list[str], answers: str, message: str
) -> None:
    result = run_chat(*args, answers=answers)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_server_gets_one_line_and_exit_code_1() -> None:
    port = closed_port()
    result = run_chat(f"127.0.0.1:{port}", "--nick", "Bob")
    assert result.returncode == 1
    assert result.stderr == (
        f"hubbub: cannot connect to 127.0.0.1:{port}: "
        "connection refused (is the server running?)\n"
    )


def test_the_prompts_explain_a_bad_answer_on_standard_output() -> None:
    result = run_chat(answers="\n\nBob Smith\n")
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        "Server [127.0.0.1]: ",
        "Port [6667]: ",
        "Choose your nickname: Bob Smith",
        "A nickname cannot contain spaces.",
        "Choose your nickname: ",
    ]
