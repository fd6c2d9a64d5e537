"""rpm/nova-wsgi.spec read as text: what holds without rpmbuild.

tests/deploy/test_rpm.py builds, lints, installs and serves the packages.
"""

import re
import tomllib

from tests.helpers import ROOT

RPM_DIR = ROOT / "rpm"
SPEC = RPM_DIR / "nova-wsgi.spec"


def _tag(name):
    return re.findall(rf"^{name}:\s+(.+)$", SPEC.read_text(), re.M)


def test_spec_version_is_the_projects():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    assert _tag("Version") == [project["version"]]
    assert _tag("License") == [project["license"]["text"]]


def test_every_source_but_the_tarball_is_in_rpm_dir():
    sources = _tag(r"Source\d+")
    assert sources[0] == "%{name}-%{version}.tar.gz"
    for source in sources[1:]:
        assert (RPM_DIR / source).is_file(), source
    # ... and every file of rpm/ is the spec, its rpmlintrc or a source.
    assert sorted(p.name for p in RPM_DIR.iterdir()) == sorted(
        ["nova-wsgi.spec", "nova-wsgi.rpmlintrc", *sources[1:]])


def test_generated_files_are_never_edited_in_the_spec():
    text = SPEC.read_text()
    assert not re.search(r"^\s*(sed|perl -pi|awk)\b", text, re.M)
    assert "nova.cmd.wsgi_build" in text


def test_changelog_entry_is_for_this_version_and_release():
    text = SPEC.read_text()
    entry = re.search(r"^%changelog\n\* (.+)$", text, re.M).group(1)
    release = _tag("Release")[0].replace("%{?dist}", "")
    assert entry.endswith(f" - {_tag('Version')[0]}-{release}")
