"""Nick completion for the input line (Tab), pure so it is tested without a screen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Completion:
    """The input after one Tab press, and what the next press should try."""

    text: str
    cursor: int
    start: int  # where the completed word starts
    stem: str  # the word as typed before the first Tab
    shown: str  # the candidate put in


def complete(
    text: str, cursor: int, candidates: Iterable[str], previous: Completion | None
) -> Completion | None:
    """Complete the word before `cursor` with the first candidate that starts with it.

    Tab again (`previous` is the last result, the input unchanged since) puts in
    the next match. At the start of the line a nick gets ": " after it, the
    usual way to address someone.
    """
    shown = ""
    if previous is not None and (previous.text, previous.cursor) == (text, cursor):
        start, stem, shown = previous.start, previous.stem, previous.shown
    else:
        start = text.rfind(" ", 0, cursor) + 1
        stem = text[start:cursor]
    if not stem:
        return None
    folded = stem.lower()
    matches = sorted(
        {name for name in candidates if name.lower().startswith(folded)}, key=str.lower
    )
    if not matches:
        return None
    index = (matches.index(shown) + 1) % len(matches) if shown in matches else 0
    match = matches[index]
    replacement = match + (": " if start == 0 else " ")
    new_text = text[:start] + replacement + text[cursor:]
    return Completion(new_text, start + len(replacement), start, stem, match)
