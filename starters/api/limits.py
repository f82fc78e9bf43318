"""How large a request body each route accepts (docs/security.md): as large as its payload needs, no larger.

A route declares its limit with `openapi_extra=body_limit(...)` (shown in /openapi.json as
`x-max-body-bytes`); routes that declare none get DEFAULT_BODY_BYTES. The request gate refuses a larger body
with 413 before reading it (by Content-Length) or as soon as the streamed bytes pass the limit, whatever
Content-Length said, and only after the caller was authenticated. API_MAX_BODY_BYTES caps every limit.
"""

from typing import Any

MAX_BODY_BYTES_KEY = "x-max-body-bytes"

DEFAULT_BODY_BYTES = 8 * 1024
"""A company, an action with who asked, keys, an import mode: a few hundred bytes of JSON."""
WEBHOOK_BODY_BYTES = 64 * 1024
"""Maventa's notification is one small JSON object (docs/facts/maventa.md §2.9)."""
TRANSFER_BODY_BYTES = 128 * 1024
"""Up to 1,000 invoice ids of at most 64 characters."""
CODEC_BODY_BYTES = 8 * 1024 * 1024
"""A history's payloads from the Temporal UI: each at most Temporal's 2 MB, base64 in JSON."""
SALES_INVOICE_BODY_BYTES = 16 * 1024 * 1024
"""A sales invoice's documented maximum (docs/outbound.md): one file at Maventa's 10 MB a file in base64
(13.3 MiB) and the rest of the invoice; a month-end batch of 500 invoices without large files fits too."""


def body_limit(max_bytes: int) -> dict[str, Any]:
    """`openapi_extra` of a route whose body may be larger (or must be smaller) than the default."""
    return {MAX_BODY_BYTES_KEY: max_bytes}
