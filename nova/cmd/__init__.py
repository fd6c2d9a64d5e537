"""Console scripts: ``nova-manage``, ``nova-wsgi-build``, ``nova-openapi``."""
