"""Junk requests do not grow memory (the 100,000-request run:
bench/memory.py): unknown routes and random Host headers, through
gunicorn, one worker, RSS within 5 MB of where it started."""

import pytest

from tests.robustness import memory

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]


@pytest.mark.parametrize("api", ["compute", "metadata"])
def test_junk_requests_leave_memory_flat(workdir, api):
    result = memory.run(workdir, requests=2400, warmup=400, api=api)
    assert sum(result["statuses"].values()) == 2400
    assert all(code < 500 for code in result["statuses"]), result
    growth = result["after_kb"] - result["before_kb"]
    assert growth < 5 * 1024, result
