"""What each compute API microversion changed (placeholder, being filled)."""

HISTORY = [
    ("2.1", (), "The v2.1 API: v2.0 with strict input validation."),
]
