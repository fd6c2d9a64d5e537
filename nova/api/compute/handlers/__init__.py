"""One module per resource of the compute API: small functions of the
request (look up, check policy, call ``nova.compute``, render a view),
with the module's ``ROUTES`` and ``HONOURED`` microversions."""
