"""WSGI entry modules: ``nova.wsgi.osapi_compute`` and ``nova.wsgi.metadata``.

While an entry module imports and builds its API, the garbage collector
runs young collections only, every 50,000 allocations instead of 700
(``LOADING_THRESHOLDS``); the process's thresholds are restored when the
API is built, or has failed to. An import allocates hundreds of thousands
of objects that live as long as the process: collecting them again and
again as they pile up, the older generations above all, cost ~10 % of the
start-up's CPU. Young collections still free most of what becomes garbage
meanwhile (turning the collector off altogether saved a little more time
but kept ~0.8 MB of garbage). Once built, the API is frozen
(``nova.loading.load_app``).
"""

LOADING_THRESHOLDS = (50_000, 1_000, 1_000)
