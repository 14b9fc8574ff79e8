"""The BSS's entry points: its API (its own process and port) and its CLI (``oss-bss``)."""
