"""A compact, Nova-compatible compute API and metadata API for WSGI servers.

The import package is ``nova``, as upstream Nova's is: installed into the
same place as upstream's ``nova`` distribution, one overwrites the other's
files and pip says nothing. Importing this package then fails at once with
the repair (``foreign_nova``, ``clash_message``) instead of obscurely later.
The check costs one directory listing; standard library only (the
deployment kit imports this file before any dependency exists).
"""

import os

__version__ = "0.1.0"


def foreign_nova(directory):
    """The version of upstream's ``nova`` whose ``nova-<version>.dist-info``
    (or ``.egg-info``) is in ``directory``, or ``None``. This project's own
    metadata is ``nova_wsgi-...``."""
    try:
        names = os.listdir(directory)
    except OSError:  # a zip archive (the kit), or unreadable
        return None
    for name in names:
        if name[:5].lower() == "nova-" and name[5:6].isdigit() and \
                name.endswith((".dist-info", ".egg-info")):
            return name[5:].rsplit(".", 1)[0].split("-", 1)[0]
    return None


def clash_message(directory, version, building=False):
    """What went wrong when this project and upstream's ``nova`` share
    ``directory``, and how to repair it."""
    if building:
        what = (f"refusing to build nova-wsgi for this environment: "
                f"{directory} holds upstream Nova (nova {version}). Both "
                f"are the import package 'nova'; installing nova-wsgi "
                f"there would overwrite upstream's files, and pip would "
                f"not warn.")
    else:
        what = (f"nova-wsgi and upstream Nova (nova {version}) are both "
                f"installed in {directory}. Both are the import package "
                f"'nova': the later install overwrote the earlier one's "
                f"files (pip does not warn), so neither works.\nRepair, "
                f"with that environment's pip: pip uninstall -y nova-wsgi "
                f"nova && pip install nova=={version}")
    return (f"{what}\nTo render the deployment files for upstream Nova, "
            f"use the single-file kit (python3 nova-wsgi-kit.pyz build "
            f"--help) or python3 -m nova.cmd.wsgi_build from a source "
            f"tree; to run nova-wsgi, install it into a virtualenv of its "
            f"own. See docs/upstream-nova.md, \"Rendering the kit without "
            f"installing nova-wsgi\".")


def _refuse_a_shared_directory():
    directory = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    version = foreign_nova(directory)
    if version is not None:
        raise ImportError(clash_message(directory, version), name="nova")


_refuse_a_shared_directory()
