"""The memo of rendered bodies stays within its bounds."""

import json

from nova.api.compute import render_cache as memo


def test_put_returns_the_json_and_get_finds_it():
    m = memo.Memo()
    body = {"servers": [{"id": "a", "name": "é"}]}
    data = m.put(("k", 1), body)
    assert data == json.dumps(body).encode()
    assert m.get(("k", 1)) is data
    assert m.get(("k", 2)) is None


def test_full_by_entries_starts_again():
    m = memo.Memo(max_entries=3)
    for n in range(3):
        m.put(n, {"n": n})
    assert all(m.get(n) is not None for n in range(3))
    m.put(3, {"n": 3})
    assert [m.get(n) for n in range(3)] == [None, None, None]
    assert m.get(3) == b'{"n": 3}'


def test_full_by_bytes_starts_again_and_oversized_is_not_kept():
    m = memo.Memo(max_bytes=100)
    m.put("a", "x" * 40)
    m.put("b", "y" * 40)
    assert m.get("a") and m.get("b")
    m.put("c", "z" * 40)  # 42 + 42 + 42 > 100
    assert m.get("a") is None and m.get("b") is None and m.get("c")
    data = m.put("big", "w" * 200)
    assert data.startswith(b'"www') and m.get("big") is None


def test_freeze_makes_nested_values_hashable_and_order_free():
    one = memo.freeze({"b": [1, {"c": 2}], "a": None})
    two = memo.freeze({"a": None, "b": [1, {"c": 2}]})
    assert one == two and hash(one) == hash(two)
