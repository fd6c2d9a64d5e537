"""The metadata API for guests: ``handler`` routes the OpenStack and EC2
trees of the asking instance (``instance``), rendered by ``trees``."""
