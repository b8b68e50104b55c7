"""Row layout helpers (storage/rows.py)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from hubbub.storage.rows import params_json


@given(st.lists(st.text()))
def test_params_json_is_exactly_json_dumps(params: list[str]) -> None:
    # Stored rows must read back the same whichever encoder wrote them.
    encoded = params_json(tuple(params))
    assert encoded == json.dumps(params)
    assert json.loads(encoded) == params
