"""Typed tables and the domain operations on them, one module per area.

Importing this package registers every table on the metadata (migrations need it).
"""

from models import (  # noqa: F401
    accounts,
    announcements,
    cashbook,
    jobs,
    koperasi,
    ledger,
    loans,
    market,
    meetings,
    membership,
    notifications,
    orders,
    periods,
    savings,
    transactions,
)
