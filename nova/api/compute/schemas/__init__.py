"""JSON Schemas of the compute API's request bodies and query strings,
one module per resource, by microversion (``validation.Versioned``)."""
