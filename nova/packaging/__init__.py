"""The deployment kit: files for the two APIs, rendered from templates.

``nova.packaging.render`` turns a few options into the text of a ``.wsgi``
script, an Apache vhost snippet, a uWSGI ini or a gunicorn config file;
``nova.packaging.layouts`` holds the two APIs and the distributions'
layouts (and the commands that prepare a host for them);
``nova.packaging.preflight`` the warnings about options and the host;
``nova.packaging.shipped`` lists the files checked into the repository
(``deployment/``: ``mod_wsgi/``, ``apache/``, ``uwsgi/``, ``gunicorn/``)
with the options each is rendered with; ``nova.packaging.kit`` is the
command line of the single-file kit (``tools/build-kit.py``). Every module
here uses the standard library only and imports nothing of ``nova`` outside
``nova.packaging``, so a build step, the kit or a bare ``python3`` (3.9 or
later) runs them before any of the project's dependencies is installed.

The console command ``nova-wsgi-build`` (``nova.cmd.wsgi_build``) writes
the files; ``setup.py`` renders the scripts into every wheel.

``nova.packaging.reload`` is the console command ``nova-wsgi-reload``: it
reloads the APIs under Apache mod_wsgi without losing a request (SIGUSR1 to
their daemon processes), standard library only as well.
"""
