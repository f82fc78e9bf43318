"""The one list of what the worker runs: add workflow classes to WORKFLOWS, activities in activities_for."""

from collections.abc import Callable, Sequence
from typing import Any

from activities.account import AccountActivities
from activities.addresses import AddressActivities
from activities.bank_network import BankNetworkActivities
from activities.billing import BillingActivities
from activities.inbound import inbound_activities
from activities.link import LinkActivities
from activities.projection import ProjectionActivities
from activities.receiving import ReceivingActivities
from activities.release import ReleaseActivities
from activities.sales_invoice import SalesInvoiceActivities
from clients.maventa import MaventaCredentials
from domain.pricing import load_price_list
from store.sales_invoice_documents import OutboundDocuments
from workers.dependencies import Dependencies
from workflows.billing import BillingWorkflow, MonthlyBillingWorkflow
from workflows.connection import ConnectionWorkflow
from workflows.inbox import InboxWorkflow
from workflows.sales_invoice import SalesInvoiceWorkflow

WORKFLOWS: Sequence[type] = (
    ConnectionWorkflow,
    BillingWorkflow,
    MonthlyBillingWorkflow,
    SalesInvoiceWorkflow,
    InboxWorkflow,
)


MAVENTA_ACTIVITIES = frozenset(
    {
        "look_up_business_id",
        "create_maventa_user",
        "create_maventa_company",
        "authorize_company",
        "authorization_status",
        "request_authorization",
        "link_vendor",
        "open_receiving",
        "register_peppol",
        "request_bank_network",
        "check_networks",
        "link_existing_account",
        "unregister_peppol",
        "unlink_vendor",
        "upload_sales_invoice",
        "check_delivery",
        "read_received_queue",
        "import_received",
    }
)
"""The activities that call Maventa: the Maventa worker runs them on the rate-limited Maventa task queue,
where the workflows schedule them (`calls_maventa`, `maventa_task_queue`). The main worker registers them
too, for runs started before that queue existed, which schedule them on the main queue."""


def activities_for(dependencies: Dependencies) -> list[Callable[..., Any]]:
    """The activity callables, bound to their clients.

    E.g. `MaventaActivities(dependencies.maventa).create_user`.
    """
    billing = BillingActivities(
        dependencies.netvisor, dependencies.sessions, load_price_list(dependencies.settings.price_list_path)
    )
    sales_invoices = SalesInvoiceActivities(
        dependencies.maventa,
        dependencies.netvisor,
        dependencies.sessions,
        OutboundDocuments(dependencies.sessions),
    )
    return [
        *connection_activities(dependencies),
        billing.companies_to_bill,
        billing.bill_company,
        sales_invoices.upload_sales_invoice,
        sales_invoices.check_delivery,
        sales_invoices.report_status,
        *inbound_activities(dependencies),
    ]


def connection_activities(dependencies: Dependencies) -> list[Callable[..., Any]]:
    """The connection lifecycle's activities (workflows/connection.py)."""
    settings = dependencies.settings
    partner = MaventaCredentials(
        company_uuid=settings.maventa_partner_company_uuid, user_api_key=settings.maventa_partner_user_api_key
    )
    account = AccountActivities(dependencies.maventa, dependencies.sessions, partner)
    receiving = ReceivingActivities(dependencies.maventa, dependencies.sessions)
    bank_network = BankNetworkActivities(dependencies.maventa, dependencies.sessions)
    addresses = AddressActivities(dependencies.netvisor)
    projection = ProjectionActivities(dependencies.sessions)
    link = LinkActivities(dependencies.maventa, dependencies.sessions)
    release = ReleaseActivities(dependencies.maventa, dependencies.sessions)
    return [
        account.look_up_business_id,
        account.create_maventa_user,
        account.create_maventa_company,
        account.authorize_company,
        account.authorization_status,
        account.request_authorization,
        account.link_vendor,
        receiving.open_receiving,
        receiving.register_peppol,
        bank_network.request_bank_network,
        bank_network.check_networks,
        addresses.update_invoicing_addresses,
        projection.record_company,
        link.link_existing_account,
        release.unregister_peppol,
        release.unlink_vendor,
        release.forget_credentials,
    ]
