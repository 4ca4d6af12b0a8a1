"""Services: use cases that take a session and plain values, and return plain results.

They may write but never commit; the caller (a view or a CLI command) owns the
transaction. Nothing here imports Flask.
"""
