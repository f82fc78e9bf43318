"""Elements must follow the DTD's order (research/netvisor-api.md §1 Element order, [C] NV-GEN-SV).

The sequences are xi-netvisor's purchaseinvoice.dtd with rantalainen's newer fields (research §4.1).
"""

from dataclasses import dataclass

from lxml import etree

from sandbox.netvisor.envelope import NetvisorFailure


@dataclass(frozen=True)
class Part:
    name: str
    required: bool = False
    repeats: bool = False


def _optional(*names: str) -> tuple[Part, ...]:
    return tuple(Part(name) for name in names)


PURCHASE_INVOICE = (
    Part("invoicenumber", required=True),
    Part("invoicedate", required=True),
    Part("invoicesource"),
    # "Currently this is needed in order to import purchase invoices" (NV-PI): checked as required.
    Part("valuedate", required=True),
    Part("eventdate"),
    Part("duedate", required=True),
    *_optional(
        "purchaseinvoiceonround",
        "vendorcode",
        "vendorname",
        "vendoraddressline",
        "vendorpostnumber",
        "vendorcity",
        "vendorcountry",
        "vendorphonenumber",
        "vendorfaxnumber",
        "vendoremail",
        "vendorhomepage",
    ),
    Part("amount", required=True),
    *_optional(
        "accountnumber",
        "organizationidentifier",
        "sellerorganizationtaxcode",
        "deliverydate",
        "overduefinepercent",
        "bankreferencenumber",
        "ourreference",
        "yourreference",
        "currencycode",
        "deliveryterms",
        "deliverymethod",
        "comment",
        "checksum",
        "pdfextrapages",
        "readyforaccounting",
        "agreementidentifier",
        "primaryvendormatchtype",
        "purchaseinvoicelines",
        "purchaseinvoicesublines",
        "purchaseinvoicecommentlines",
        "purchaseinvoiceattachments",
        "purchaseinvoicerelatedpurchaseordernumbers",
        "partialpaymentdetails",
    ),
)

PURCHASE_INVOICE_LINE = (
    Part("productcode"),
    Part("productname", required=True),
    Part("orderedamount"),
    Part("deliveredamount", required=True),
    Part("unitname"),
    Part("unitprice", required=True),
    Part("discountpercentage"),
    Part("vatpercent", required=True),
    Part("linesum", required=True),
    Part("description"),
    Part("sort"),
    Part("accountingsuggestion"),
    Part("dimension", repeats=True),
)

PURCHASE_INVOICE_ATTACHMENT = (
    Part("mimetype", required=True),
    Part("attachmentdescription", required=True),
    Part("filename", required=True),
    Part("documentdata", required=True),
)


def _missing(parent: etree._Element, part: Part, later: list[str]) -> NetvisorFailure:
    if part.name in later:
        return NetvisorFailure(
            "INVALID_DATA",
            f"Element <{part.name}> is out of order in <{parent.tag}>: it must come before <{later[0]}>",
        )
    return NetvisorFailure("INVALID_DATA", f"<{parent.tag}> is missing the required element <{part.name}>")


def check_order(parent: etree._Element, sequence: tuple[Part, ...]) -> None:
    names = [part.name for part in sequence]
    children = [child for child in parent if isinstance(child.tag, str)]
    position, seen = 0, 0
    for number, child in enumerate(children):
        if child.tag not in names:
            raise NetvisorFailure("INVALID_DATA", f"Unknown element <{child.tag}> in <{parent.tag}>")
        index = names.index(child.tag)
        if index < position:
            raise NetvisorFailure(
                "INVALID_DATA",
                f"Element <{child.tag}> is out of order in <{parent.tag}>: "
                f"it must come before <{names[position]}>",
            )
        if index == position and seen:
            if not sequence[index].repeats:
                raise NetvisorFailure(
                    "INVALID_DATA", f"Element <{child.tag}> appears twice in <{parent.tag}>"
                )
            seen += 1
            continue
        for skipped in sequence[position + (1 if seen else 0) : index]:
            if skipped.required:
                raise _missing(parent, skipped, [later.tag for later in children[number:]])
        position, seen = index, 1
    for remaining in sequence[position + (1 if seen else 0) :]:
        if remaining.required:
            raise _missing(parent, remaining, [])
