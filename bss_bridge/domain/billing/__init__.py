"""Billing maths: bill cycles, proration, rating, SLA credits and invoice assembly, as pure functions
of their inputs (standard library only, no clock, no storage), so the preview a customer sees and the
invoice a bill run makes are the same computation by construction.
"""
