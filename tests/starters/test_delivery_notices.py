"""DELIVERED/FAILED notices are coalesced per invoice: a burst costs one signal at once and one at the end."""

import asyncio
from datetime import timedelta

from starters.delivery_notices import DeliveryNotices, Look

WINDOW = timedelta(seconds=0.3)


async def test_a_burst_about_one_invoice_is_one_signal_now_and_one_at_the_windows_end() -> None:
    notices = DeliveryNotices(WINDOW)
    sent: list[str] = []

    def signal_for(invoice_id: str, settled: bool = False) -> Look:
        async def signal() -> bool:
            sent.append(invoice_id)
            return settled

        return signal

    for _ in range(20):
        await notices.notify("mv-1", signal_for("mv-1"))
    await notices.notify("mv-2", signal_for("mv-2"))
    assert sent == ["mv-1", "mv-2"]
    await asyncio.sleep(WINDOW.total_seconds() * 2)
    assert sent == ["mv-1", "mv-2", "mv-1"]
    await asyncio.sleep(WINDOW.total_seconds() * 1.5)
    await notices.notify("mv-1", signal_for("mv-1"))
    assert sent == ["mv-1", "mv-2", "mv-1", "mv-1"], "after a quiet window the next notice goes at once"
    await asyncio.sleep(WINDOW.total_seconds() * 1.5)
    await notices.notify("mv-1", signal_for("mv-1", settled=True))
    await notices.notify("mv-1", signal_for("mv-1"))
    await asyncio.sleep(WINDOW.total_seconds() * 1.5)
    await notices.notify("mv-1", signal_for("mv-1"))
    assert sent.count("mv-1") == 4, "once settled, no notice about the invoice is looked at again"
    notices.close()
