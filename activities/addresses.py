"""Netvisor's invoicing addresses (R7): once the bank network is confirmed, Maventa becomes the company's
e-invoice address and operator in Netvisor."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from clients.netvisor import NetvisorClient, NetvisorRejected, NetvisorUnavailable
from domain.identifiers import MAVENTA_OPERATOR, einvoice_address_for, normalise_business_id
from workflows.connection_models import InvoicingAddresses, InvoicingAddressesSet


class AddressActivities:
    def __init__(self, netvisor: NetvisorClient) -> None:
        self._netvisor = netvisor

    @activity.defn
    async def update_invoicing_addresses(self, company: InvoicingAddresses) -> InvoicingAddressesSet:
        """Setting the same address twice is harmless, so an uncertain outcome is simply retried."""
        addresses = InvoicingAddressesSet(
            einvoice_address=einvoice_address_for(company.business_id), operator=MAVENTA_OPERATOR
        )
        try:
            await self._netvisor.update_invoicing_addresses(
                normalise_business_id(company.business_id), addresses.einvoice_address, addresses.operator
            )
        except NetvisorRejected as error:
            raise ApplicationError(
                f"Netvisor refused the invoicing addresses: {error.message}",
                type="NetvisorRejected",
                non_retryable=True,
            ) from None
        except NetvisorUnavailable as error:
            raise ApplicationError(
                f"Netvisor was unavailable while updating the invoicing addresses: {error.message}",
                type="NetvisorUnavailable",
            ) from None
        return addresses
