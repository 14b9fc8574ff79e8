"""Pure parsers of device output, one module per platform.

They take the text a device printed and return the adapters' typed models; no I/O, so they are
tested from recorded output files under ``tests/adapters/data/<platform>/<case>/``.
"""
