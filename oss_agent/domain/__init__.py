"""The OSS domain: devices, interfaces, links, alarms and service orders with their rules.

Standard library only: no ORM, no framework, no driver. The storage layer maps these classes, the
service layer drives them, and both can change without touching the rules here.
"""
