"""Loading a pickle of built-in values only (history blocks' `entries`).

A pickle that names a class or a function is refused, so loading stored
data cannot run code. Plain Python on purpose: `blocks.py` is compiled with
mypyc, and a compiled subclass of the C `pickle.Unpickler` crashes the
interpreter when it loads.
"""

from __future__ import annotations

import io
import pickle
from typing import Any


class _BuiltinsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not a history block: names {module}.{name}")


def loads(data: bytes) -> Any:
    """The value pickled in `data`, if it names no class or function.

    Raises:
        pickle.UnpicklingError: it names one, or is not a pickle.
    """
    return _BuiltinsOnly(io.BytesIO(data)).load()
