"""Billing maths: bill cycles, proration, rating, SLA credits, invoice assembly and the account
ledger, as pure functions of their inputs (standard library only, no clock, no storage), so the
preview a customer sees and the invoice a bill run makes are the same computation by construction.

    cycles         bill cycle day + zone -> billing periods (local dates and UTC instants)
    subscriptions  a subscription's prices, changes and termination -> a timeline of local days
    proration      recurring charges by the day, reconciled against what was already billed
    rating         usage prices applied to a period's totals; the percentile rule
    usage          usage records deduplicated and totalled; rate samples grouped
    sla            availability from outages and maintenance; the credit tier
    charges        one-time, usage, burstable and SLA lines of one subscription and period
    lines          invoice lines, the one rounding place, totals
    invoice        assemble_invoice: one account, one period, everything it owes
    ledger         invoices, payments and credits posted idempotently; balance and overdue

``docs/architecture.md`` ("Billing maths") describes the rules these modules implement.
"""
