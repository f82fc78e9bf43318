"""Time passing in the sandbox: banks confirm and sent invoices settle after their configured delays."""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from sandbox.maventa.context import SandboxContext
from sandbox.maventa.profiles import confirm_bank_network
from sandbox.maventa.sending import settle_due
from sandbox.maventa.tables import Profile, utcnow

log = logging.getLogger(__name__)


def tick(context: SandboxContext) -> None:
    config = context.config
    with Session(context.engine, expire_on_commit=False) as session:
        if config.bank_confirm_seconds > 0:
            cutoff = utcnow() - timedelta(seconds=config.bank_confirm_seconds)
            due = session.exec(
                select(Profile).where(
                    Profile.network == "BANK", Profile.status == "pending", Profile.created_at <= cutoff
                )
            ).all()
            for profile in due:
                confirm_bank_network(session, profile)
            session.commit()
        if config.delivery_seconds > 0:
            settle_due(session, context.webhooks, config.delivery_seconds)


async def run_clock(context: SandboxContext) -> None:
    if context.config.bank_confirm_seconds <= 0 and context.config.delivery_seconds <= 0:
        return
    while True:
        await asyncio.sleep(context.config.clock_interval_s)
        try:
            tick(context)
        except SQLAlchemyError:
            log.exception("sandbox clock tick failed")
