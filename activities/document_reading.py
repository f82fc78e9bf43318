"""Reading a received document off the event loop, bounded in time.

Parsing is CPU work in lxml and Python: on the worker's event loop one large or hostile document would stall
every other company's activities. It runs on a small pool of its own, so a slow document never waits behind
(or holds up) the store's threads, and the activity gives up waiting once the parser's own deadline has
passed with a margin.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from domain.finvoice import ReceivedInvoice, UnparsableInvoice, parse_invoice
from domain.finvoice.parser import MAX_PARSE_SECONDS

log = logging.getLogger(__name__)

PARSING_THREADS = 4
WAIT_MARGIN_SECONDS = 5.0

_parsing = ThreadPoolExecutor(max_workers=PARSING_THREADS, thread_name_prefix="document-parsing")


def _parse(document: bytes) -> ReceivedInvoice:
    try:
        return parse_invoice(document)
    except UnparsableInvoice:
        raise
    except Exception as error:
        log.exception("a received document broke the parser")
        raise UnparsableInvoice(
            f"the document could not be read ({type(error).__name__}: {error}); report it to the developers"
        ) from error


async def read_received_document(document: bytes) -> ReceivedInvoice:
    """The parsed invoice, or `UnparsableInvoice` with the reason (including taking too long)."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(
            loop.run_in_executor(_parsing, _parse, document), timeout=MAX_PARSE_SECONDS + WAIT_MARGIN_SECONDS
        )
    except TimeoutError:
        raise UnparsableInvoice(
            f"reading the document took longer than {MAX_PARSE_SECONDS + WAIT_MARGIN_SECONDS:g} s; "
            "release it from quarantine to try again when the service is less busy"
        ) from None
