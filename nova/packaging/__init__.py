"""Deployment files for the two APIs, rendered from templates.

``nova.packaging.render`` turns a few options into the text of a ``.wsgi``
script, an Apache vhost snippet, a uWSGI ini or a gunicorn config file;
``nova.packaging.shipped`` lists the files checked into the repository
(``deployment/``: ``mod_wsgi/``, ``apache/``, ``uwsgi/``, ``gunicorn/``)
with the options each is rendered with. Both use the standard library only,
so a build step can load them before any of the project's dependencies is
installed.

The console command ``nova-wsgi-build`` (``nova.cmd.wsgi_build``) writes
the files; ``setup.py`` renders the scripts into every wheel.

``nova.packaging.reload`` is the console command ``nova-wsgi-reload``: it
reloads the APIs under Apache mod_wsgi without losing a request (SIGUSR1 to
their daemon processes), standard library only as well.
"""
