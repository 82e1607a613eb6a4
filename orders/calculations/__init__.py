"""Pure money math for change orders (DOMAIN.md §3.1–§3.5).

Everything here works on small frozen dataclasses describing the current state of an order
summary's items; nothing touches the database. Preview and submit both call these functions, the
preview on the state as read, the submit on the same state under the row locks, so they cannot
disagree.
"""
