"""The BSS's configuration: its settings file and its catalog files (YAML), read once by the entry point."""
