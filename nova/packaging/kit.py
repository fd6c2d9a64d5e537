"""The single-file kit's command line: ``nova-wsgi-kit.pyz SUBCOMMAND ...``.

``tools/build-kit.py`` writes ``dist/nova-wsgi-kit.pyz``, a zip archive
that Python runs (a zipapp): this module, ``nova/__init__.py``,
``nova/cmd/wsgi_build.py``, every ``nova/packaging/*.py`` and the
templates, and a ``__main__.py`` that calls ``main``. Standard library
only, so it runs with any python3 >= 3.9 and nothing installed: what an
upstream Nova operator or packager uses instead of installing
``nova-wsgi`` (whose import package ``nova`` would overwrite upstream's).

Each subcommand is a module imported only when asked for, so the kit of
a tree without one of them says so instead of failing to start.
"""

import importlib
import inspect
import os
import sys

# name -> (module with main(argv), what it does)
COMMANDS = {
    "build": ("nova.cmd.wsgi_build",
              "write the .wsgi scripts, Apache, uWSGI and gunicorn files "
              "(as nova-wsgi-build)"),
    "check": ("nova.packaging.check",
              "verify a running deployment from outside"),
    "reload": ("nova.packaging.reload",
               "reload the APIs without losing requests"),
}


def usage(prog):
    from nova import __version__

    lines = [f"usage: {prog} SUBCOMMAND [ARGS...]  (SUBCOMMAND --help for "
             f"its options)", "",
             f"The deployment kit of nova-wsgi {__version__}, for upstream "
             f"Nova and nova-wsgi alike; nothing to install.", "",
             "subcommands:"]
    lines += [f"  {name:8}{what}" for name, (_, what) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv=None, prog=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = prog or os.path.basename(sys.argv[0] or "nova-wsgi-kit.pyz")
    if not argv or argv[0] in ("-h", "--help", "help"):
        out = sys.stdout if argv else sys.stderr
        out.write(usage(prog))
        return 0 if argv else 2
    if argv[0] == "--version":
        from nova import __version__

        print(f"{prog} (nova-wsgi {__version__})")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"{prog}: unknown subcommand {name!r}\n\n"
                         + usage(prog))
        return 2
    module_name = COMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        sys.stderr.write(
            f"{prog}: the subcommand {name!r} is not in this kit: it was "
            f"built from a tree without {module_name}. Build the kit again "
            f"(python3 tools/build-kit.py) from a tree that has it.\n")
        return 2
    kwargs = {}
    if "prog" in inspect.signature(module.main).parameters:
        kwargs["prog"] = f"{prog} {name}"
    return module.main(rest, **kwargs)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(prog="python3 -m nova.packaging.kit"))
