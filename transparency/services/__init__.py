"""Services: use cases that take a session and plain values, and return plain results.

They may write but never commit; the caller (a view or a CLI command) owns the
transaction. Nothing here imports Flask.
"""


class Refused(Exception):
    """A use case that may not happen; ``code`` names why and is translated at the edge
    (with ``params`` for the message)."""

    def __init__(self, code: str, /, **params):  # a message may have a %(code)s of its own
        super().__init__(code)
        self.code = code
        self.params = params
