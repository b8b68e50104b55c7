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
