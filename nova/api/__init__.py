"""The HTTP layer: WSGI apps, middleware and the fault format.

``compute/`` is the compute API (a route table, handlers, schemas,
views), ``metadata/`` the metadata API, ``middleware/`` what the paste
pipelines wrap them in, ``errors`` the one place where exceptions become
faults. Nothing below this package (``nova.compute``, ``nova.db``)
imports it.
"""
