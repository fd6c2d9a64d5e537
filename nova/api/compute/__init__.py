"""The compute API under ``/v2.1``: ``router`` dispatches the routes of
``routes`` (gathered from ``handlers/``), validating with ``schemas/``
and rendering with ``views/``; ``factories`` are its paste factories."""
