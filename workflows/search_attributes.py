"""Custom search attributes (§3): registered by the dev server at start, by operators in production."""

from temporalio.common import SearchAttributeKey

NETVISOR_COMPANY_ID = SearchAttributeKey.for_keyword("NetvisorCompanyId")
BUSINESS_ID = SearchAttributeKey.for_keyword("BusinessId")
MAVENTA_STATE = SearchAttributeKey.for_keyword("MaventaState")
NEEDS_SUPPORT = SearchAttributeKey.for_bool("NeedsSupport")
BANK_NETWORK_DEADLINE = SearchAttributeKey.for_datetime("BankNetworkDeadline")

ALL_SEARCH_ATTRIBUTES = (
    NETVISOR_COMPANY_ID,
    BUSINESS_ID,
    MAVENTA_STATE,
    NEEDS_SUPPORT,
    BANK_NETWORK_DEADLINE,
)
