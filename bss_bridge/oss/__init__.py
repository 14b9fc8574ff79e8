"""The BSS's clients of the OSS's TMF APIs (HTTP only: the BSS never reads an OSS table)."""
