"""The BSS domain: customers, accounts, the product catalog and its prices, orders, subscriptions and
billing, with their rules.

Standard library only: no ORM, no framework, nothing of the OSS. The storage layer maps these
classes, the service layer drives them.
"""
