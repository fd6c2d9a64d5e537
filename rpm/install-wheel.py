"""Install a wheel into an RPM build root, as %pyproject_install does.

Used by nova-wsgi.spec only where Fedora's pyproject-rpm-macros are
missing (rpmbuild on Debian, for the project's tests). pip there installs
into Debian's paths (/usr/local/..., or dist-packages), whatever --prefix
says; this installs with the interpreter's own ``installer`` library into
the paths given on the command line, which the spec takes from RHEL's
layout: the module into --purelib, console scripts into <prefix>/bin with
a ``#!<interpreter>`` line, data files under <prefix>, bytecode compiled
for the installed paths (not the build root's).

    python3 install-wheel.py --destdir BUILDROOT --prefix /usr \\
        --purelib /usr/lib/python3.11/site-packages \\
        --interpreter /usr/bin/python3 dist/name-1.0-py3-none-any.whl
"""

import argparse
import os
import sys

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--destdir", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--purelib", required=True)
    parser.add_argument("--interpreter", required=True)
    parser.add_argument("wheel", nargs="+")
    args = parser.parse_args(argv)
    if len(args.wheel) != 1:
        parser.error(f"expected exactly one wheel, got {args.wheel}")
    prefix = args.prefix.rstrip("/") or "/"
    scheme = {
        "purelib": args.purelib,
        "platlib": args.purelib,
        "scripts": os.path.join(prefix, "bin"),
        "data": prefix,
        "headers": os.path.join(prefix, "include"),
    }
    destination = SchemeDictionaryDestination(
        scheme, interpreter=args.interpreter, script_kind="posix",
        bytecode_optimization_levels=(0,), destdir=args.destdir)
    with WheelFile.open(args.wheel[0]) as source:
        install(source, destination, {"INSTALLER": b"rpm\n"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
