"""The event hubs of the BSS's TMF APIs: listeners, events recorded in the same transaction as the
change they announce (a transactional outbox), and their delivery with per-listener back-off."""
