"""The entry modules hand the loaded API to the garbage collector's
permanent generation (``gc.freeze()``): a server process's Python then
finalizes in a fraction of the time (a mod_wsgi daemon stopped by an
Apache restart exits at once instead of after seconds of CPU), and full
collections skip the API's objects."""

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
