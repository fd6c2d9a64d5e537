"""The specs of rpm/ read as text: what holds without rpmbuild.

rpm/nova-wsgi.spec (this project's packages) and rpm/openstack-nova-wsgi.spec
(upstream Nova's WSGI files). tests/deploy/test_rpm.py and
tests/deploy/test_rpm_upstream.py build, lint, install and serve them.
"""

import re
import tomllib

import pytest

from tests.helpers import ROOT

RPM_DIR = ROOT / "rpm"
SPECS = {"nova-wsgi": RPM_DIR / "nova-wsgi.spec",
         "openstack-nova-wsgi": RPM_DIR / "openstack-nova-wsgi.spec"}


def _tag(spec, name):
    return re.findall(rf"^{name}:\s+(.+)$", spec.read_text(), re.M)


def _expand(spec, text):
    """``text`` with the spec's Name and plain %global macros expanded."""
    macros = dict(re.findall(r"^%global (\w+) (\S+)$", spec.read_text(),
                             re.M), name=_tag(spec, "Name")[0])
    return re.sub(r"%\{(\w+)\}", lambda m: macros.get(m.group(1), m.group(0)),
                  text)


def _sources(spec):
    """Source1... of ``spec``, expanded."""
    return [_expand(spec, s) for s in _tag(spec, r"Source\d+")[1:]]


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_spec_version_is_the_projects(spec):
    # openstack-nova-wsgi's version is the kit's that writes its files.
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    assert _tag(spec, "Version") == [project["version"]]
    assert _tag(spec, "License") == [project["license"]["text"]]


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_source0_is_the_projects_tarball(spec):
    # tools/build-rpms.sh makes nova-wsgi-VERSION.tar.gz for either spec.
    assert _expand(spec, _tag(spec, "Source0")[0]) \
        == "nova-wsgi-%{version}.tar.gz"
    assert re.search(r"^%autosetup -n (%\{name\}|%\{kit\})-%\{version\}$",
                     spec.read_text(), re.M)


def test_every_source_but_the_tarball_is_in_rpm_dir():
    sources = [s for spec in SPECS.values() for s in _sources(spec)]
    for source in sources:
        assert (RPM_DIR / source).is_file(), source
    # ... and every file of rpm/ is a spec, its rpmlintrc or a source.
    assert sorted(p.name for p in RPM_DIR.iterdir()) == sorted(
        [*(f"{name}.{ext}" for name in SPECS for ext in ("spec", "rpmlintrc")),
         *sources])


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_generated_files_are_never_edited_in_the_spec(spec):
    text = spec.read_text()
    assert not re.search(r"^\s*(sed|perl -pi|awk)\b", text, re.M)
    assert "-m nova.cmd.wsgi_build" in text


def test_upstream_spec_passes_the_kit_the_options_upstream_needs():
    # The paste file first (upstream Nova takes the first file as its
    # paste file), /etc/nova, the vhosts' own log directory, no
    # python-home (the system python3 imports the distribution's Nova).
    text = SPECS["openstack-nova-wsgi"].read_text()
    build = re.search(r"^%build\n(.*?)^%install", text, re.M | re.S).group(1)
    command = build[build.index("nova.cmd.wsgi_build"):].replace("\\\n", " ")
    command = command.split("\n")[0]
    assert "--config-files 'api-paste.ini;nova.conf'" in command
    assert "--config-dir %{_sysconfdir}/nova" in command
    assert "--log-dir %{httpd_logdir}" in command
    assert "--layout rhel" in command
    assert "--python-home" not in command
    assert re.search(r"^%global httpd_logdir %\{_localstatedir\}/log/httpd/"
                     r"nova$", text, re.M)
    # The renderer runs from the unpacked source: nothing of the kit is
    # installed, and only python3 is needed to build.
    assert "%{buildroot}%{python3_sitelib}" not in text
    assert _tag(SPECS["openstack-nova-wsgi"], "BuildRequires") == ["python3"]


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_changelog_entry_is_for_this_version_and_release(spec):
    text = spec.read_text()
    entry = re.search(r"^%changelog\n\* (.+)$", text, re.M).group(1)
    release = _tag(spec, "Release")[0].replace("%{?dist}", "")
    assert entry.endswith(f" - {_tag(spec, 'Version')[0]}-{release}")
