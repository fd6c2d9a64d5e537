"""Clients of the other OpenStack services (Glance, Neutron, Keystone).

Beside the domain, below the HTTP layer: they import ``nova.exception``,
``nova.conf`` and ``nova.context`` and nothing else of the project, and
turn every failure of the remote service into a domain exception
(``Unavailable`` for an outage, ``NotFound``/``Invalid``/``Conflict``/
``Forbidden`` for what the service refused), never a bare traceback.
"""
