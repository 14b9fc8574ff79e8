"""Fault management: traps and polls into deduplicated, correlated alarms."""
