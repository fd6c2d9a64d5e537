"""Stand-ins for services outside this project, as real HTTP servers."""
