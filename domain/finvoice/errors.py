"""The failure a received document can end in."""


class UnparsableInvoice(ValueError):
    """A received document that cannot be read as an invoice; `reason` becomes the quarantine reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
