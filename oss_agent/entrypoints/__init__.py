"""Entry points: the command line, and later the daemon and the northbound API."""
