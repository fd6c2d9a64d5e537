"""The wheel build's hook: render the two .wsgi scripts into every wheel;
and refuse to build where upstream Nova is installed.

Everything about the project is in pyproject.toml; this file only adds one
step to setuptools' ``build`` command. ``build_wsgi_scripts`` imports
``nova.packaging.render`` from this tree (standard library only, so none of
the project's dependencies is needed at build time), writes
``nova-compute-api.wsgi`` and ``nova-metadata.wsgi`` into
``<build_base>/wsgi-scripts/``, and the wheel installs them as data files:
``<prefix>/share/nova-wsgi/wsgi-scripts/`` (in a virtualenv,
``<venv>/share/nova-wsgi/wsgi-scripts/``).

Options come from the environment of the build, as nova-wsgi-build takes
them on its command line::

    NOVA_WSGI_PYTHON_HOME=/opt/nova NOVA_WSGI_CONFIG_DIR=/etc/nova pip wheel .

(``NOVA_WSGI_PYTHON_HOME``, ``NOVA_WSGI_CONFIG_DIR``,
``NOVA_WSGI_CONFIG_FILES``). Packagers who place the scripts themselves run
``nova-wsgi-build`` in ``%install`` instead. Editable installs (``pip
install -e``) carry no data files; the checkout's ``deployment/mod_wsgi/``
holds the same scripts.

The import package is ``nova``, as upstream Nova's: installed into an
environment that holds upstream's ``nova`` distribution it would overwrite
upstream's files, and pip would say nothing. So every build but an sdist
stops with the repair (``nova.clash_message``) when the site-packages of the
interpreter running it (the target of ``pip install .``: pip's build
isolation keeps ``sys.prefix``) hold ``nova-<version>.dist-info``. Installs
elsewhere (``--target``, ``--prefix``, a wheel built in another environment)
are caught by ``import nova`` itself (``nova/__init__.py``).
"""

import importlib
import os
import site
import sys
import sysconfig

from setuptools import Command, setup
from setuptools.command.build import build

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = "share/nova-wsgi/wsgi-scripts"
OPTIONS = {"python_home": "NOVA_WSGI_PYTHON_HOME",
           "config_dir": "NOVA_WSGI_CONFIG_DIR",
           "config_files": "NOVA_WSGI_CONFIG_FILES"}


def load(module):
    """``module`` of this tree (``nova``, ``nova.packaging.render``): the
    standard library only, whatever else is installed."""
    sys.path.insert(0, HERE)
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(HERE)


def load_render():
    return load("nova.packaging.render")


def site_dirs():
    """Where this interpreter installs and imports distributions from."""
    paths = sysconfig.get_paths()
    dirs = [paths["purelib"], paths["platlib"]]
    dirs += getattr(site, "getsitepackages", list)()
    return list(dict.fromkeys(os.path.normpath(d) for d in dirs))


def refuse_upstream_nova():
    if "sdist" in sys.argv[1:]:
        return
    nova = load("nova")
    for directory in site_dirs():
        version = nova.foreign_nova(directory)
        if version is not None:
            sys.exit("error: " + nova.clash_message(directory, version,
                                                    building=True))


class build_wsgi_scripts(Command):
    description = "render nova-compute-api.wsgi and nova-metadata.wsgi"
    user_options = [("build-base=", "b", "base directory for build")]

    def initialize_options(self):
        self.build_base = None
        self.outputs = []
        # Set by setuptools for editable installs, which install no data
        # files: there the checkout's deployment/mod_wsgi/ serves.
        self.editable_mode = False

    def finalize_options(self):
        self.set_undefined_options("build", ("build_base", "build_base"))

    def run(self):
        if self.editable_mode:
            return
        render = load_render()
        options = {name: os.environ.get(var) or None
                   for name, var in OPTIONS.items()}
        out_dir = os.path.join(self.build_base, "wsgi-scripts")
        os.makedirs(out_dir, exist_ok=True)
        self.outputs = []
        for api in render.APIS:
            path = os.path.join(out_dir, render.script_filename(api))
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(render.render_wsgi_script(api, **options))
            self.outputs.append(path)
        # install_data (run after build, by bdist_wheel and editable_wheel)
        # copies them; replace any entry of an earlier run.
        data_files = self.distribution.data_files
        if data_files is None:
            data_files = self.distribution.data_files = []
        data_files[:] = [entry for entry in data_files
                         if not (isinstance(entry, tuple)
                                 and entry[0] == DATA_DIR)]
        data_files.append((DATA_DIR, list(self.outputs)))

    # Asked for by setuptools' editable installs; none of these files is a
    # module, so none maps to the source tree.
    def get_outputs(self):
        return []

    def get_output_mapping(self):
        return {}


class build_with_wsgi_scripts(build):
    sub_commands = [*build.sub_commands, ("build_wsgi_scripts", None)]


refuse_upstream_nova()
setup(cmdclass={"build": build_with_wsgi_scripts,
                "build_wsgi_scripts": build_wsgi_scripts})
