"""mod_wsgi-express serving the generated scripts in deployment/mod_wsgi/.

As root, mod_wsgi-express needs a user to run Apache's children and the
daemon as: www-data (the virtualenv is built from /usr/bin/python3, which
www-data can read). The config directory comes from the process
environment, which mod_wsgi-express hands on to the daemon.
"""

import signal

import pytest

from nova.packaging import render
from tests.deploy import checks, servers

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]


def test_express_serves_each_generated_script(workdir):
    etc = workdir.config("etc")
    env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc))
    ports, procs = {}, {}
    try:
        for api in render.APIS:
            ports[api] = servers.free_port()
            script = (servers.ROOT / "deployment" / "mod_wsgi"
                      / render.script_filename(api))
            procs[api] = servers.Process(
                servers.express_argv(script, ports[api],
                                     workdir.mkdir(f"express-{api}")),
                workdir.path / f"express-{api}.log", env=env)
        # Loaded when the daemon starts: no request has been sent yet.
        checks.wait_loaded(procs["compute"].output, "osapi_compute")
        checks.wait_loaded(procs["metadata"].output, "metadata")
        compute = f"http://127.0.0.1:{ports['compute']}"
        checks.versions(compute)
        checks.authenticated_404(compute)
        metadata = f"http://127.0.0.1:{ports['metadata']}"
        checks.metadata_root(metadata)
        for base in (compute, metadata):
            assert servers.request(base + "/healthcheck").status == 200
        output = procs["compute"].output()
        assert "Traceback" not in output
    finally:
        codes = {api: proc.stop(signal.SIGTERM) for api, proc in procs.items()}
    assert codes == {api: 0 for api in procs}, [p.output()[-2000:]
                                                for p in procs.values()]
