"""nova.lazy_import: a module imported on first use, once, by any thread."""

import sys
import threading

import pytest

from nova import lazy_import


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package ``lazypkg`` whose module ``slow`` records each time it
    runs (in ``lazypkg.runs``); forgotten at the end."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text("runs = []\n")
    (root / "slow.py").write_text(
        "import time\n"
        "import lazypkg\n"
        "lazypkg.runs.append(1)\n"
        "time.sleep(0.05)  # a window for other threads\n"
        "def double(x):\n"
        "    return 2 * x\n"
        "VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in ("lazypkg.slow", "lazypkg"):
        sys.modules.pop(name, None)


def test_a_deferred_module_runs_on_first_use_only(package):
    lazy_import.defer("lazypkg.slow")
    import lazypkg
    from lazypkg import slow  # what an importer does: no code runs
    assert lazypkg.runs == []
    assert lazy_import.is_deferred(slow)
    assert slow.__file__ == str(package / "slow.py")
    assert slow.double(21) == slow.VALUE == 42
    assert lazypkg.runs == [1] and not lazy_import.is_deferred(slow)
    import lazypkg.slow as again  # later importers get the real module
    assert again is not slow and again.VALUE == 42
    assert lazypkg.runs == [1]


def test_threads_using_it_at_once_run_it_once(package):
    lazy_import.defer("lazypkg.slow")
    import lazypkg
    from lazypkg import slow
    barrier = threading.Barrier(8)
    results = []

    def use():
        barrier.wait(5)
        results.append(slow.double(2))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [4] * 8
    assert lazypkg.runs == [1]


def test_a_failing_import_fails_where_it_is_used_and_can_be_retried(
        package):
    (package / "slow.py").write_text("raise ImportError('not today')\n")
    lazy_import.defer("lazypkg.slow")
    from lazypkg import slow

    with pytest.raises(ImportError, match="not today"):
        slow.VALUE  # noqa: B018
    assert sys.modules["lazypkg.slow"] is slow  # still the stand-in
    (package / "slow.py").write_text("VALUE = 7\n")
    assert slow.VALUE == 7


def test_nothing_is_deferred_that_is_imported_or_missing(package):
    import lazypkg.slow as real

    lazy_import.defer("lazypkg.slow")
    assert sys.modules["lazypkg.slow"] is real
    lazy_import.defer("lazypkg.missing")
    assert "lazypkg.missing" not in sys.modules
