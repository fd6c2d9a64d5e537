"""The checked-in nova.conf.sample is what oslo-config-generator writes."""

import pathlib
import subprocess
import sys

from oslo_config import cfg

import nova.conf
from tests.helpers import ROOT

GENERATOR_CONF = ROOT / "etc" / "nova" / "nova-config-generator.conf"
SAMPLE = ROOT / "etc" / "nova" / "nova.conf.sample"


def test_sample_is_current(tmp_path):
    out = tmp_path / "nova.conf.sample"
    generator = pathlib.Path(sys.executable).parent / "oslo-config-generator"
    subprocess.run([str(generator), "--config-file", str(GENERATOR_CONF),
                    "--output-file", str(out)], check=True, cwd=ROOT,
                   timeout=120)
    assert out.read_text() == SAMPLE.read_text(), (
        "etc/nova/nova.conf.sample is stale: run "
        "'oslo-config-generator --config-file "
        "etc/nova/nova-config-generator.conf' and commit the result")


def test_list_opts_covers_every_registered_option():
    conf = cfg.ConfigOpts()
    nova.conf.register_opts(conf)
    nova.conf.register_service_opts(conf, force=True)
    listed = {(group, opt.dest) for group, opts in nova.conf.list_opts()
              for opt in opts}
    registered = {("DEFAULT", key) for key in conf._opts}  # noqa: SLF001
    for group in conf:
        attr = conf[group]
        if isinstance(attr, cfg.ConfigOpts.GroupAttr):
            registered |= {(group, key) for key in attr._group._opts}  # noqa: SLF001
    # oslo.config registers these two itself on every ConfigOpts.
    registered -= {("DEFAULT", "config_source"),
                   ("DEFAULT", "shell_completion")}
    # keystoneauth registers an auth plugin's own options (username,
    # password...) when it loads the plugin; the sample lists the password
    # plugins' ones.
    from keystoneauth1 import loading as ks_loading

    plugin = {opt.dest for name in ("password", "v3password")
              for opt in ks_loading.get_auth_plugin_conf_options(name)}
    plugin |= {opt.dest for opt in ks_loading.get_auth_common_conf_options()}
    # The adapter's version options are placeholders that take no value
    # (nova.conf._ksa): registered, never listed, as upstream.
    registered -= {(group, name) for group in ("glance", "neutron", "keystone")
                   for name in ("version", "min_version", "max_version")}
    assert registered <= listed
    unregistered = listed - registered
    assert {group for group, _opt in unregistered} <= {
        "neutron", "keystone", "service_user"}
    assert {opt for _group, opt in unregistered} <= plugin


def test_entry_point_is_installed():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value
             for ep in entry_points(group="oslo.config.opts")}
    assert names.get("nova") == "nova.conf:list_opts"
