"""The tempest job's own pure parts (tools/tempest/): no Keystone, no tempest.

tests/unit/data/tempest-run.subunit is a slice of a real run of
tools/tempest.sh (2026-12-06; the packets of seven tests and class set-ups,
pythonlogging attachments dropped) plus one tearDownClass failure written
with python-subunit; tempest-listed.txt is what ``tempest run --list-tests``
listed for the same classes.
"""

import configparser
import importlib.util
import json
import struct
import zlib

import pytest

from tests.helpers import ROOT

TOOLS = ROOT / "tools" / "tempest"
DATA = ROOT / "tests" / "unit" / "data"
STREAM = DATA / "tempest-run.subunit"
LISTED = DATA / "tempest-listed.txt"
HOSTS = "tempest.api.compute.admin.test_hosts.HostsAdminTestJSON"
EXTRA_SPECS = ("tempest.api.compute.admin.test_flavors_extra_specs_negative."
               "FlavorsExtraSpecsNegativeTestJSON")


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"tempest_job_{name}", TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


summarise = _load("summarise")
write_conf = _load("write_conf")


def _run_summary(capsys, *args):
    rc = summarise.main([str(STREAM), *args])
    return rc, capsys.readouterr().out


def test_class_level_outcomes_count_for_every_listed_test(capsys, tmp_path):
    out_json = tmp_path / "summary.json"
    rc, out = _run_summary(capsys, "--listed", str(LISTED),
                           "--json", str(out_json))
    assert rc == 1
    assert out.splitlines()[-1] == (
        "Per test: 18 tests, 1 passed, 9 failed, 8 skipped; "
        "1 class clean-up failure(s)")
    summary = json.loads(out_json.read_text())
    assert (summary["tests"], summary["passed"], summary["failed"],
            summary["skipped"], summary["not_run"]) == (18, 1, 9, 8, 0)
    # setUpClass of the extra-specs class failed: each of its 7 tests fails
    # with the class's exception line.
    failed = {f["test"]: f["exception"] for f in summary["failures"]}
    mine = [t for t in failed if t.startswith(EXTRA_SPECS + ".")]
    assert len(mine) == 7
    assert failed[EXTRA_SPECS + ".test_flavor_update_more_key"].startswith(
        "tempest.lib.exceptions.BadRequest: Bad request | Details: "
        "{'code': 400, 'message': 'Invalid input for field/attribute id.")
    # 4 tests of a Neutron-skipped class, 3 of a Glance-skipped class (the
    # class name in "ListImagesTestJSON skipped as ..." is dropped), and
    # one method-level skip.
    assert summary["skip_reasons"] == {
        "Neutron is not available": 4,
        "glance is not available": 3,
        "FQDN hostname sanitization is not supported.": 1}


def test_one_line_per_failure_with_its_exception_line(capsys):
    _rc, out = _run_summary(capsys, "--listed", str(LISTED))
    lines = out.splitlines()
    assert lines[0] == "Failed (9):"
    assert (f"  FAILED {HOSTS}.test_list_hosts :: "
            "tempest.lib.exceptions.NotFound: Object not found | Details: "
            "{'code': 404, 'message': 'The resource could not be found.'}"
            ) in lines
    assert ("  FAILED tempest.api.compute.servers.test_create_server."
            "ServersTestJSON.test_verify_server_details :: "
            "testtools.matchers._impl.MismatchError: "
            "'0000:0000:0000:0000:0000:babe:220.12.22.2' != "
            "'::babe:dc0c:1602'") in lines
    # tempest's [id-...,negative] attributes are not part of the names.
    assert not any("[id-" in line for line in lines)
    # A tearDownClass failure does not change its tests' outcomes, but it
    # is listed, and the run fails.
    index = lines.index("Class clean-up failures (1):")
    assert lines[index + 1] == (
        f"  FAILED tearDownClass ({HOSTS}) :: tempest.lib.exceptions."
        "ServerFault: Got server fault | Details: Unexpected API Error.")
    skips = lines.index("Skipped (8), by reason:")
    assert lines[skips + 1:skips + 4] == [
        "  Neutron is not available: 4",
        "  glance is not available: 3",
        "  FQDN hostname sanitization is not supported.: 1"]


def test_without_the_list_a_class_counts_once(capsys):
    rc, out = _run_summary(capsys)
    assert rc == 1
    assert out.splitlines()[-1] == (
        "Per test: 7 tests, 1 passed, 3 failed, 3 skipped; "
        "1 class clean-up failure(s)")


def test_listed_tests_that_never_ran_fail_the_run(capsys, tmp_path):
    # Only the passing test and a test nobody ran (a run cut short).
    listed = tmp_path / "listed.txt"
    listed.write_text(
        "tempest.api.compute.admin.test_hypervisor_negative."
        "HypervisorAdminNegativeTestJSON.test_show_nonexistent_hypervisor"
        "[id-c136086a-0f67-4b2b-bc61-8482bd68989f,negative]\n"
        "tempest.api.compute.test_versions.TestVersions.test_list_api_"
        "versions[id-6c0a0990-43b6-4529-9b61-5fd8daf7c55c]\n")
    stream = tmp_path / "pass-only.subunit"
    stream.write_bytes(_packets_of(
        STREAM.read_bytes(),
        "tempest.api.compute.admin.test_hypervisor_negative."))
    rc = summarise.main([str(stream), "--listed", str(listed)])
    out = capsys.readouterr().out
    assert rc == 1
    assert out.splitlines()[-1] == (
        "Per test: 2 tests, 1 passed, 0 failed, 0 skipped, 1 not run")
    assert out.startswith("Not run (1), e.g. tempest.api.compute."
                          "test_versions.TestVersions.test_list_api_versions")


def test_a_clean_run_exits_0(capsys, tmp_path):
    stream = tmp_path / "pass-only.subunit"
    stream.write_bytes(_packets_of(
        STREAM.read_bytes(),
        "tempest.api.compute.admin.test_hypervisor_negative."))
    assert summarise.main([str(stream)]) == 0
    assert capsys.readouterr().out == (
        "Per test: 1 tests, 1 passed, 0 failed, 0 skipped\n")


def test_a_corrupt_stream_is_refused():
    raw = bytearray(STREAM.read_bytes())
    raw[40] ^= 0xFF
    with pytest.raises(summarise.ParseError, match="checksum"):
        summarise.outcomes(memoryview(bytes(raw)))


def test_exception_line_of_a_plain_traceback():
    text = ('Traceback (most recent call last):\n'
            '  File "x.py", line 1, in f\n'
            '    raise KeyError("k")\n'
            "KeyError: 'k'\n")
    assert summarise.exception_line(text) == "KeyError: 'k'"


def _packets_of(raw, prefix):
    """The packets of raw whose test id starts with prefix."""
    out, pos = bytearray(), 0
    while pos < len(raw):
        (flags,) = struct.unpack(">H", raw[pos + 1:pos + 3])
        length, body = summarise._varint(raw, pos + 3)
        packet = raw[pos:pos + length]
        assert zlib.crc32(packet[:-4]) == struct.unpack(">I", packet[-4:])[0]
        cur = body
        if flags & summarise.FLAG_TIMESTAMP:
            _n, cur = summarise._varint(raw, cur + 4)
        test_id, _cur = summarise._utf8(raw, cur)
        if test_id.startswith(prefix):
            out += packet
        pos += length
    return bytes(out)


# -- tempest.conf ------------------------------------------------------------

def _conf(tmp_path, *extra):
    out = tmp_path / "tempest.conf"
    write_conf.main([
        str(out), "--workspace", str(tmp_path), "--keystone-url",
        "http://127.0.0.1:5000", "--admin-password", "pw", "--image-ref",
        "i1", "--image-ref-alt", "i2", "--max-microversion", "2.104",
        *extra])
    parser = configparser.RawConfigParser()
    parser.read(out)
    return parser


def test_tempest_conf_describes_this_cloud(tmp_path):
    conf = _conf(tmp_path)
    assert {k: conf["service_available"][k] for k in (
        "nova", "glance", "neutron", "cinder", "swift", "horizon")} == {
        "nova": "true", "glance": "false", "neutron": "false",
        "cinder": "false", "swift": "false", "horizon": "false"}
    compute = conf["compute"]
    assert (compute["min_compute_nodes"], compute["max_microversion"],
            compute["image_ref"], compute["image_ref_alt"],
            compute["flavor_ref"], compute["flavor_ref_alt"]) == (
        "2", "2.104", "i1", "i2", "42", "84")
    assert conf["enforce_scope"]["nova"] == "true"
    assert conf["auth"]["use_dynamic_credentials"] == "true"
    assert conf["auth"]["create_isolated_networks"] == "false"
    assert conf["identity"]["uri_v3"] == "http://127.0.0.1:5000/v3"
    features = conf["compute-feature-enabled"]
    for served in ("resize", "cold_migration", "live_migration",
                   "change_password", "pause", "suspend", "rescue", "shelve",
                   "console_output", "snapshot", "vnc_console"):
        assert features[served] == "true", served
    for missing in ("interface_attach", "serial_console", "spice_console"):
        assert features[missing] == "false", missing


def test_tempest_conf_names_the_network_and_filters(tmp_path):
    assert not _conf(tmp_path).has_section("network")
    conf = _conf(tmp_path, "--network-id", "n1", "--filters",
                 "ComputeFilter, SameHostFilter")
    assert conf["network"]["public_network_id"] == "n1"
    assert not conf.has_option("compute", "fixed_network_name")
    assert conf["compute-feature-enabled"]["scheduler_enabled_filters"] == \
        "ComputeFilter, SameHostFilter"


def test_tempest_conf_overrides(tmp_path):
    conf = _conf(tmp_path, "--build-timeout", "30",
                 "--set", "compute-feature-enabled.resize=false",
                 "--set", "new-section.opt = 1")
    assert conf["compute"]["build_timeout"] == "30"
    assert conf["compute-feature-enabled"]["resize"] == "false"
    assert conf["new-section"]["opt"] == "1"


def test_the_tempest_patch_says_why_and_what_it_touches():
    patch = (TOOLS / "tempest-47-admin-image-client.patch").read_text()
    header, _sep, diff = patch.partition("\n--- a/")
    assert "glance = false" in header and "AttributeError" in header
    assert diff.startswith("tempest/api/compute/base.py\n"
                           "+++ b/tempest/api/compute/base.py\n@@ ")
    assert ("-        cls.admin_image_client = cls.os_admin.image_client_v2"
            in diff)


def test_tempest_conf_with_real_glance_and_neutron(tmp_path):
    conf = _conf(tmp_path, "--services", "glance,neutron", "--network-id",
                 "pub1", "--network-extensions", "binding,router")
    assert (conf["service_available"]["glance"],
            conf["service_available"]["neutron"]) == ("true", "true")
    assert (conf["enforce_scope"]["glance"],
            conf["enforce_scope"]["neutron"]) == ("true", "true")
    assert conf["image-feature-enabled"]["import_image"] == "false"
    # image waits as long as server waits (not tempest's 300 s)
    assert conf["image"]["build_timeout"] == conf["compute"]["build_timeout"]
    assert conf["network"]["public_network_id"] == "pub1"
    assert conf["network"]["floating_network_name"] == "public"
    assert conf["network-feature-enabled"]["api_extensions"] == \
        "binding,router"
    assert conf["auth"]["create_isolated_networks"] == "true"
    features = conf["compute-feature-enabled"]
    assert (features["snapshot"], features["interface_attach"]) == (
        "true", "true")


def test_tempest_conf_with_real_glance_only(tmp_path):
    conf = _conf(tmp_path, "--services", "glance", "--network-id", "n1")
    assert conf["service_available"]["glance"] == "true"
    assert conf["service_available"]["neutron"] == "false"
    assert conf["auth"]["create_isolated_networks"] == "false"
    assert conf["network"]["public_network_id"] == "n1"
    assert not conf.has_option("network", "floating_network_name")
    assert conf["compute-feature-enabled"]["interface_attach"] == "false"


def test_tempest_conf_refuses_unknown_services(tmp_path):
    with pytest.raises(SystemExit, match="cinder"):
        _conf(tmp_path, "--services", "glance,cinder")
