#!/usr/bin/python3
"""Write the single-file deployment kit, dist/nova-wsgi-kit.pyz.

    python3 tools/build-kit.py [-o PATH]

A zipapp (a zip archive Python runs, shebang ``#!/usr/bin/env python3``)
holding the standard-library part of this tree: ``nova/__init__.py``,
``nova/cmd/__init__.py``, ``nova/cmd/wsgi_build.py``, every
``nova/packaging/*.py``, the templates, and a ``__main__.py`` that runs
``nova.packaging.kit`` (subcommands ``build``, ``check``, ``reload``).
Upstream Nova operators and packagers render their files with it without
installing nova-wsgi, whose import package ``nova`` would overwrite
upstream's::

    python3 nova-wsgi-kit.pyz build --layout rhel --apache DIR SCRIPTS

Reproducible: the same tree gives the same bytes (members in name order,
fixed timestamps and modes, stored uncompressed so that no zlib version
changes them). Standard library only; any python3 >= 3.9.
"""

import argparse
import hashlib
import io
import os
import pathlib
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "dist" / "nova-wsgi-kit.pyz"
SHEBANG = b"#!/usr/bin/env python3\n"
# The earliest time a zip file can hold: the kit says nothing of when it
# was built.
EPOCH = (1980, 1, 1, 0, 0, 0)

MAIN = b'''\
"""nova-wsgi-kit: the deployment kit of nova-wsgi in one file."""
import sys

from nova.packaging.kit import main

sys.exit(main())
'''


def members(root=ROOT):
    """``{archive name: bytes}`` of everything the kit holds."""
    nova = root / "nova"
    paths = [nova / "__init__.py", nova / "cmd" / "__init__.py",
             nova / "cmd" / "wsgi_build.py"]
    paths += sorted((nova / "packaging").glob("*.py"))
    paths += sorted(p for p in (nova / "packaging" / "templates").iterdir()
                    if p.is_file())
    out = {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}
    out["__main__.py"] = MAIN
    return out


def archive(files):
    """The kit's bytes: the shebang, then the zip of ``files``."""
    buf = io.BytesIO()
    buf.write(SHEBANG)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # Unix, so that the mode below counts
            info.external_attr = 0o100644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue()


def build(output=DEFAULT_OUTPUT, root=ROOT):
    data = archive(members(pathlib.Path(root)))
    output = pathlib.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, output)
    return output, hashlib.sha256(data).hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(prog="build-kit.py",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT),
                   help="where to write it (default: dist/nova-wsgi-kit.pyz)")
    args = p.parse_args(argv)
    path, digest = build(args.output)
    print(f"{path} sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
