"""``nova-wsgi-build``'s options for the servers' addresses, names and
certificates, and its warnings (config-file order, the host's user, group
and log directory).

What the renderers write for each value is in the golden files
(``test_packaging.py``); here: which value reaches which file, what is
refused (argparse's exit 2, nothing written) and what is warned about on
stderr (written all the same).
"""

import io
import os

import pytest

from nova.cmd import wsgi_build
from nova.packaging import layouts, preflight, render

MISSING_USER = "nova-kit-no-such-user"
MISSING_GROUP = "nova-kit-no-such-group"


def build(tmp_path, *argv, checks=False):
    """Run the command; ``{relative path: text}`` of what it wrote."""
    args = list(argv)
    if not checks:
        args.append("--no-host-checks")
    out = io.StringIO()
    assert wsgi_build.main(args + [str(tmp_path / "scripts")], out=out) == 0
    written = {}
    for line in out.getvalue().splitlines():
        written[os.path.relpath(line, tmp_path)] = open(line).read()
    return written


def refused(tmp_path, capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        wsgi_build.main([*argv, str(tmp_path / "scripts")], out=io.StringIO())
    assert exc.value.code == 2
    assert not (tmp_path / "scripts").exists(), "wrote files all the same"
    return capsys.readouterr().err


def _line(text, start):
    (line,) = [x for x in text.splitlines() if x.startswith(start)]
    return line


# -- --bind -------------------------------------------------------------------

def test_bind_per_api_reaches_apache_uwsgi_and_gunicorn(tmp_path):
    files = build(tmp_path, "--bind", "compute=[::1]:18774",
                  "--bind", "metadata=127.0.0.1:18775",
                  "--apache", str(tmp_path / "a"), "--uwsgi",
                  str(tmp_path / "u"), "--gunicorn", str(tmp_path / "g"))
    compute = files["a/nova-compute-api.conf"]
    assert _line(compute, "Listen") == "Listen [::1]:18774"
    assert _line(compute, "<VirtualHost") == "<VirtualHost *:18774>"
    metadata = files["a/nova-metadata.conf"]
    assert _line(metadata, "Listen") == "Listen 127.0.0.1:18775"
    assert _line(metadata, "<VirtualHost") == "<VirtualHost *:18775>"
    assert compute == render.render_vhost(
        "compute", listen_address="::1", port=18774)
    assert _line(files["u/nova-compute-api.ini"], "http11-socket") == \
        "http11-socket = [::1]:18774"
    assert _line(files["u/nova-metadata.ini"], "http11-socket") == \
        "http11-socket = 127.0.0.1:18775"
    assert 'bind = ["[::1]:18774"]' in files["g/nova-compute-api.conf.py"]
    assert 'bind = ["127.0.0.1:18775"]' in files["g/nova-metadata.conf.py"]


def test_bind_every_address_and_one_api(tmp_path):
    files = build(tmp_path, "--api", "metadata", "--bind", "*:9775",
                  "--apache", str(tmp_path / "a"), "--gunicorn",
                  str(tmp_path / "g"))
    assert sorted(files) == ["a/nova-metadata.conf", "g/nova-metadata.conf.py",
                             "scripts/nova-metadata.wsgi"]
    assert _line(files["a/nova-metadata.conf"], "Listen") == "Listen 9775"
    assert 'bind = ["0.0.0.0:9775"]' in files["g/nova-metadata.conf.py"]


def test_bind_of_one_api_leaves_the_other_default(tmp_path):
    files = build(tmp_path, "--bind", "metadata=[2001:db8::1]:8775",
                  "--apache", str(tmp_path / "a"))
    assert _line(files["a/nova-compute-api.conf"], "Listen") == "Listen 8774"
    assert _line(files["a/nova-metadata.conf"], "Listen") == \
        "Listen [2001:db8::1]:8775"


@pytest.mark.parametrize("argv, message", [
    (["--bind", "127.0.0.1:8774", "--apache", "a"], "exactly one --api"),
    (["--bind", "compute=::1:8774", "--apache", "a"],
     "IPv6 address goes in brackets"),
    (["--bind", "compute=127.0.0.1", "--apache", "a"], "expected ADDR:PORT"),
    (["--bind", "compute=127.0.0.1:0", "--apache", "a"], "expected ADDR:PORT"),
    (["--bind", "compute=127.0.0.1:65536", "--apache", "a"],
     "expected ADDR:PORT"),
    (["--bind", "compute=:8774", "--apache", "a"], "expected ADDR:PORT"),
    (["--bind", "compute=[nope::x]:8774", "--apache", "a"],
     "not an IPv6 address"),
    (["--bind", "compute=a b:8774", "--apache", "a"], "one word"),
    (["--bind", "compute=1.2.3.4:1", "--bind", "compute=1.2.3.4:2",
      "--apache", "a"], "given twice for the compute API"),
    (["--api", "compute", "--bind", "metadata=1.2.3.4:1", "--apache", "a"],
     "the metadata API is not written here"),
    (["--bind", "compute=1.2.3.4:1"], "goes with --apache, --uwsgi"),
    (["--api", "compute", "--path-prefix", "/compute", "--bind",
      "1.2.3.4:1", "--apache", "a"], "does not combine with --path-prefix"),
])
def test_bind_refused(tmp_path, capsys, argv, message):
    assert message in refused(tmp_path, capsys, *argv)


def test_bind_with_prefix_goes_to_the_servers_only(tmp_path):
    files = build(tmp_path, "--path-prefix", "/compute",
                  "--bind", "compute=127.0.0.1:18774",
                  "--apache", str(tmp_path / "a"),
                  "--uwsgi", str(tmp_path / "u"))
    assert "Listen" not in files["a/nova-compute-api-prefix.conf"]
    assert "http11-socket = 127.0.0.1:18774" in files["u/nova-compute-api.ini"]


# -- --server-name, --ssl-certificate, --ssl-certificate-key ------------------

def test_server_name_plain_and_per_api(tmp_path):
    files = build(tmp_path, "--server-name", "api.example.org",
                  "--server-name", "metadata=meta.example.org",
                  "--apache", str(tmp_path / "a"))
    assert "    ServerName api.example.org\n" in files[
        "a/nova-compute-api.conf"]
    assert "    ServerName meta.example.org\n" in files[
        "a/nova-metadata.conf"]


def test_certificates_imply_tls_for_their_api(tmp_path):
    files = build(tmp_path,
                  "--ssl-certificate", "compute=/etc/pki/tls/certs/api.crt",
                  "--ssl-certificate-key",
                  "compute=/etc/pki/tls/private/api.key",
                  "--apache", str(tmp_path / "a"))
    assert sorted(name for name in files if name.startswith("a/")) == [
        "a/nova-compute-api-tls.conf", "a/nova-metadata.conf"]
    tls = files["a/nova-compute-api-tls.conf"]
    assert _line(tls, "Listen") == "Listen 8774 https"
    assert 'SSLCertificateFile "/etc/pki/tls/certs/api.crt"' in tls
    assert 'SSLCertificateKeyFile "/etc/pki/tls/private/api.key"' in tls
    assert "SSLEngine" not in files["a/nova-metadata.conf"]


def test_tls_with_plain_certificates_and_a_prefix(tmp_path):
    """--path-prefix: plain values serve the metadata API only."""
    files = build(tmp_path, "--tls", "--path-prefix", "/compute",
                  "--server-name", "api.example.org",
                  "--ssl-certificate", "/etc/ssl/certs/api.pem",
                  "--ssl-certificate-key", "/etc/ssl/private/api.key",
                  "--layout", "debian", "--apache", str(tmp_path / "a"))
    assert "ServerName" not in files["a/nova-compute-api-prefix.conf"]
    metadata = files["a/nova-metadata-tls.conf"]
    assert 'SSLCertificateFile "/etc/ssl/certs/api.pem"' in metadata
    assert "    ServerName api.example.org\n" in metadata


@pytest.mark.parametrize("argv, message", [
    (["--ssl-certificate", "/a.crt", "--apache", "a"],
     "--ssl-certificate and --ssl-certificate-key go together"),
    (["--ssl-certificate", "/a.crt", "--ssl-certificate-key",
      "compute=/a.key", "--apache", "a"],
     "missing one for the metadata API"),
    (["--ssl-certificate", "a.crt", "--ssl-certificate-key", "/a.key",
      "--apache", "a"], "not an absolute path"),
    (["--server-name", "a b", "--apache", "a"], "one word"),
    (["--server-name", "x", "--server-name", "y", "--apache", "a"],
     "given twice for every API"),
    (["--server-name", "compute=", "--apache", "a"], "no value after '='"),
    (["--server-name", "api.example.org"], "--server-name goes with --apache"),
    (["--path-prefix", "/compute", "--server-name", "compute=x",
      "--apache", "a"], "does not combine with --path-prefix"),
    (["--path-prefix", "/compute", "--ssl-certificate", "compute=/a",
      "--ssl-certificate-key", "compute=/b", "--apache", "a"],
     "does not combine with --path-prefix"),
])
def test_names_and_certificates_refused(tmp_path, capsys, argv, message):
    assert message in refused(tmp_path, capsys, *argv)


def test_help_says_certificates_imply_tls(capsys):
    with pytest.raises(SystemExit):
        wsgi_build.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "SSLCertificateFile; implies --tls" in out
    assert "--bind compute=127.0.0.1:8774 --bind metadata=[::1]:8775" in out
    assert "--no-host-checks" in out


# -- the config-file order ----------------------------------------------------

@pytest.mark.parametrize("files, expected", [
    ("api-paste.ini;nova.conf", None),
    ("paste.ini", None),
    ("/etc/nova/api-paste.ini;nova.conf;extra.conf", None),
    ("nova.conf;api-paste.ini", "the paste file is not first"),
    ("nova.conf;extra.conf;/etc/nova/API-Paste.ini",
     "write '/etc/nova/API-Paste.ini;nova.conf;extra.conf'"),
    ("nova.conf;compute.conf", "no file looks like a paste file"),
])
def test_config_files_warning(files, expected):
    warning = preflight.config_files_warning(files)
    if expected is None:
        assert warning is None
    else:
        assert expected in warning
        assert "Upstream Nova" in warning and "this project" in warning


def test_config_files_warning_keeps_the_order(tmp_path, capsys):
    files = build(tmp_path, "--config-files", "nova.conf;api-paste.ini",
                  "--uwsgi", str(tmp_path / "u"))
    err = capsys.readouterr().err
    assert err.count("warning:") == 1
    assert "nova-wsgi-build: warning: --config-files " \
        "'nova.conf;api-paste.ini': the paste file is not first" in err
    assert "will not start" in err
    assert 'os.environ.setdefault("OS_NOVA_CONFIG_FILES", ' \
        '"nova.conf;api-paste.ini")' in files["scripts/nova-compute-api.wsgi"]
    assert "env = OS_NOVA_CONFIG_FILES=nova.conf;api-paste.ini" in \
        files["u/nova-metadata.ini"]


def test_paste_first_order_warns_nothing(tmp_path, capsys):
    build(tmp_path, "--config-files", "api-paste.ini;nova.conf",
          "--apache", str(tmp_path / "a"))
    assert capsys.readouterr().err == ""


# -- the host checks ----------------------------------------------------------

def test_missing_user_and_group_are_named_with_the_command(tmp_path, capsys):
    build(tmp_path, "--user", MISSING_USER, "--group", MISSING_GROUP,
          "--log-dir", str(tmp_path), "--apache", str(tmp_path / "a"),
          checks=True)
    err = capsys.readouterr().err
    assert err.count("warning:") == 1, err
    assert f"no user '{MISSING_USER}' and group '{MISSING_GROUP}'" in err
    assert "AH00543" in err
    assert (f"groupadd -r {MISSING_GROUP} && useradd -r -g {MISSING_GROUP} "
            f"-d /var/lib/nova -s /sbin/nologin {MISSING_USER}") in err
    assert (tmp_path / "a" / "nova-compute-api.conf").exists()


def test_only_the_missing_one_is_created(tmp_path, capsys):
    build(tmp_path, "--layout", "debian", "--user", MISSING_USER,
          "--group", "root", "--log-dir", str(tmp_path),
          "--apache", str(tmp_path / "a"), checks=True)
    err = capsys.readouterr().err
    assert f"no user '{MISSING_USER}', which" in err
    assert (f"Create it with: adduser --system --ingroup root --home "
            f"/var/lib/nova --no-create-home {MISSING_USER}") in err
    assert "addgroup" not in err


def test_missing_log_dir_is_named(tmp_path, capsys):
    logs = tmp_path / "logs" / "nova"
    build(tmp_path, "--user", "root", "--group", "root", "--log-dir",
          str(logs), "--apache", str(tmp_path / "a"), checks=True)
    err = capsys.readouterr().err
    assert f"the log directory {logs} does not exist" in err
    assert f"install -d -m 0750 {logs}" in err
    assert "AH02291" in err


def test_debian_log_dir_follows_apache_log_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("APACHE_LOG_DIR", str(tmp_path))
    assert preflight.log_dir_warning("debian") == (
        f"the log directory {tmp_path}/nova does not exist: Apache will not "
        f"start (AH02291: Cannot access directory). Create it with: "
        f"install -d -m 0750 -g adm {tmp_path}/nova")
    (tmp_path / "nova").mkdir()
    assert preflight.log_dir_warning("debian") is None


def test_host_checks_quiet_when_all_exists_or_skipped(tmp_path, capsys):
    build(tmp_path, "--user", "root", "--group", "root", "--log-dir",
          str(tmp_path), "--apache", str(tmp_path / "a"), checks=True)
    assert capsys.readouterr().err == ""
    build(tmp_path, "--user", MISSING_USER, "--log-dir",
          str(tmp_path / "none"), "--apache", str(tmp_path / "a"))
    assert capsys.readouterr().err == ""  # --no-host-checks


def test_no_host_checks_without_apache(tmp_path, capsys):
    build(tmp_path, "--user", MISSING_USER, "--uwsgi", str(tmp_path / "u"),
          checks=True)
    assert capsys.readouterr().err == ""


def test_prefix_only_checks_no_log_dir(tmp_path, capsys):
    build(tmp_path, "--api", "compute", "--path-prefix", "/compute",
          "--user", "root", "--group", "root", "--log-dir",
          str(tmp_path / "none"), "--apache", str(tmp_path / "a"),
          checks=True)
    assert capsys.readouterr().err == ""


# -- what the vhost headers say ---------------------------------------------

@pytest.mark.parametrize("layout, command", [
    ("rhel", "groupadd -r -g 162 nova && useradd -r -u 162 -g nova "
             "-d /var/lib/nova -s /sbin/nologin nova"),
    ("debian", "adduser --system --group --home /var/lib/nova "
               "--no-create-home nova"),
])
def test_vhost_header_names_user_group_and_command(layout, command):
    for text in (render.render_vhost("compute", layout),
                 render.render_vhost("compute", layout,
                                     path_prefix="/compute")):
        header = " ".join(line.lstrip("# ") for line in text.splitlines()
                          if line.startswith("#"))
        assert "run as user nova, group nova, which must exist" in header
        assert "AH00543: bad user name nova" in header
        assert f"#     {command}\n" in text


@pytest.mark.parametrize("layout, log_dir, mkdir, rotated", [
    ("rhel", "/var/log/httpd/nova", "install -d -m 0750 /var/log/httpd/nova",
     "/var/log/httpd/*log"),
    ("debian", "${APACHE_LOG_DIR}/nova",
     "install -d -m 0750 -g adm /var/log/apache2/nova",
     "/var/log/apache2/*.log"),
])
def test_vhost_logs_in_a_directory_of_their_own(layout, log_dir, mkdir,
                                                 rotated):
    assert layouts.LAYOUTS[layout].log_dir == log_dir
    text = render.render_vhost("metadata", layout)
    assert f'ErrorLog "{log_dir}/nova-metadata_error.log"' in text
    assert f'CustomLog "{log_dir}/nova-metadata_access.log"' in text
    assert f"#     {mkdir}\n" in text
    header = " ".join(line.lstrip("# ") for line in text.splitlines()
                      if line.startswith("#"))
    assert "which must exist too" in header
    assert f"logrotate file for Apache ({rotated}) rotates with a graceful " \
        "restart" in header
    assert "copytruncate" in header


def test_account_commands_for_other_names():
    assert layouts.account_commands("rhel", "nova-api", "nova-api") == (
        "groupadd -r nova-api && useradd -r -g nova-api -d /var/lib/nova "
        "-s /sbin/nologin nova-api")
    assert layouts.account_commands("debian", "api", "web") == (
        "addgroup --system web && adduser --system --ingroup web --home "
        "/var/lib/nova --no-create-home api")
    assert layouts.account_commands("rhel", missing=("group",)) == \
        "groupadd -r -g 162 nova"
    with pytest.raises(ValueError, match="one word"):
        layouts.account_commands("rhel", "a;b c")


def test_documented_and_default_orders_put_the_paste_file_first():
    """Every OS_NOVA_CONFIG_FILES value the kit renders by default or the
    docs show is one upstream Nova accepts."""
    import re

    from nova import config_files
    from tests.helpers import ROOT

    values = [config_files.DEFAULT_FILES]
    values += re.findall(r'OS_NOVA_CONFIG_FILES \(default "([^"]+)"\)',
                         render.render_wsgi_script("compute"))
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = doc.read_text()
        values += re.findall(r"--config-files '([^']+)'", text)
        values += re.findall(r"OS_NOVA_CONFIG_FILES=['\"]?([^\s'\"`]+)",
                             text)
    assert len(values) >= 3, values
    assert [v for v in values if preflight.config_files_warning(v)] == []
