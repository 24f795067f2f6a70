"""Typed tables and the domain operations on them, one module per area.

Importing this package registers every table on the metadata (migrations need it).
"""

from models import (  # noqa: F401
    accounts,
    announcements,
    annual_report,
    attendance,
    capital,
    cashbook,
    documents,
    health,
    import_batch,
    jobs,
    koperasi,
    ledger,
    loans,
    market,
    meeting_documents,
    meetings,
    membership,
    notifications,
    offline,
    orders,
    password_reset,
    periods,
    push,
    savings,
    sessions,
    shu,
    shu_posting,
    stall,
    topups,
    transactions,
    voting,
    withdrawals,
)
