"""The entry modules hand the loaded API to the garbage collector's
permanent generation (``gc.freeze()``): a server process's Python then
finalizes in a fraction of the time (a mod_wsgi daemon stopped by an
Apache restart exits at once instead of after seconds of CPU), and full
collections skip the API's objects."""

import json
import os
import subprocess
import sys

import pytest

_CODE = """
import gc, sys
before = gc.get_freeze_count()
import nova.wsgi.{module}
print(before, gc.get_freeze_count())
"""


@pytest.mark.parametrize("module", ["osapi_compute", "metadata"])
def test_entry_module_freezes_the_loaded_api(noauth_config, module):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_NOVA_CONFIG_DIR"] = str(noauth_config.path)
    proc = subprocess.run([sys.executable, "-c", _CODE.format(module=module)],
                          capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    before, after = map(int, proc.stdout.split())
    assert before == 0
    assert after > 10000  # the API's modules, routes, policies...


def test_load_app_alone_freezes_nothing(noauth_config):
    import gc

    before = gc.get_freeze_count()
    noauth_config.load("osapi_compute")
    assert gc.get_freeze_count() == before


# While the entry module imports and builds the API, the collector runs
# young collections only, rarely (nova.wsgi.LOADING_THRESHOLDS); the
# process's thresholds are back afterwards, whether the load worked or not.
# The probe notes the thresholds when nova.loading is imported (by the entry
# module) and when nova.api.urlmap is (by paste, building the app).
_GC_CODE = """
import gc, json, sys

seen = {{}}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("nova.loading", "nova.api.urlmap"):
            seen[name] = gc.get_threshold()
        return None

sys.meta_path.insert(0, Watch())
gc.set_threshold(*json.loads(sys.argv[1]))
try:
    import nova.wsgi.{module}
    loaded = True
except Exception as exc:
    loaded = type(exc).__name__
print(json.dumps([loaded, seen, gc.get_threshold(), gc.isenabled()]))
"""

LOADING = [50000, 1000, 1000]


def _gc_probe(config_path, module, before=(700, 10, 10)):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_NOVA_CONFIG_DIR"] = str(config_path)
    proc = subprocess.run(
        [sys.executable, "-c", _GC_CODE.format(module=module),
         json.dumps(list(before))],
        capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["osapi_compute", "metadata"])
def test_rare_young_collections_while_loading_then_as_before(noauth_config,
                                                             module):
    assert _gc_probe(noauth_config.path, module) == [
        True, {"nova.loading": LOADING, "nova.api.urlmap": LOADING},
        [700, 10, 10], True]


def test_thresholds_are_back_after_a_failed_load(tmp_path):
    # No config files at all: the load fails with a StartupError.
    assert _gc_probe(tmp_path / "nowhere", "osapi_compute") == [
        "StartupError", {"nova.loading": LOADING}, [700, 10, 10], True]


def test_the_process_own_thresholds_are_kept(noauth_config):
    assert _gc_probe(noauth_config.path, "metadata", before=(1234, 5, 6)) == [
        True, {"nova.loading": LOADING, "nova.api.urlmap": LOADING},
        [1234, 5, 6], True]
