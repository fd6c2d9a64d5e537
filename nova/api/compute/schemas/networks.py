"""Request schemas of os-networks: upstream declares them empty (any
query string, any body), the removed routes' bodies included."""

from nova.api.compute.common import query_schema

QUERY = query_schema({})
ANY = {}
