"""How the compute API shows its resources, by microversion: functions
of rows to JSON-ready dicts, with no database access."""
