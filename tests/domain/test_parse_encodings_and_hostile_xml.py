"""Character sets as operators deliver them, and documents that try to hurt the parser."""

import time
from decimal import Decimal

import pytest

from domain.finvoice import DocumentFormat, UnparsableInvoice, parse_invoice
from domain.xml_safety import XmlRejected, parse_xml

SELLER = "Pörssi-Äijät € Šarkki Žižek Oy"
QUOTED = "Kiitos \u2013 \u201ctervetuloa\u201d \u2019uudelleen\u2019"


def finvoice(encoding: str | None, seller: str = SELLER, free_text: str = "Kiitos") -> str:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else ""
    return (
        f'{declaration}<Finvoice Version="3.0">'
        "<SellerPartyDetails><SellerPartyIdentifier>2129112-6</SellerPartyIdentifier>"
        f"<SellerOrganisationName>{seller}</SellerOrganisationName></SellerPartyDetails>"
        "<InvoiceDetails><InvoiceTypeCode>INV01</InvoiceTypeCode><InvoiceNumber>A-1</InvoiceNumber>"
        '<InvoiceDate Format="CCYYMMDD">20260105</InvoiceDate>'
        '<InvoiceTotalVatIncludedAmount AmountCurrencyIdentifier="EUR">'
        "1 255,00</InvoiceTotalVatIncludedAmount>"
        f"<InvoiceFreeText>{free_text}</InvoiceFreeText>"
        "</InvoiceDetails></Finvoice>"
    )


def test_iso_8859_15_keeps_euro_and_carons() -> None:
    document = finvoice("ISO-8859-15").encode("iso8859-15")
    assert b"\xa4" in document, "the euro sign is byte A4 in ISO-8859-15 (a currency sign in ISO-8859-1)"
    assert parse_invoice(document).seller.name == SELLER


@pytest.mark.parametrize("encoding", ["ISO-8859-15", "ISO-8859-1", "windows-1252", "UTF-8"])
def test_each_declared_encoding(encoding: str) -> None:
    seller = "Pörssi-Äijät Öljy ja Åke Oy"
    invoice = parse_invoice(finvoice(encoding, seller).encode(encoding))
    assert invoice.seller.name == seller
    assert invoice.total_including_vat == Decimal("1255.00")


def test_windows_1252_declared_as_iso_8859_1_decodes_sensibly() -> None:
    seller = "Ääni € Oy"
    document = finvoice("ISO-8859-1", seller, QUOTED).encode("cp1252")
    assert b"\x80" in document and b"\x94" in document
    invoice = parse_invoice(document)
    assert invoice.seller.name == seller
    assert invoice.free_text == QUOTED


def test_windows_1252_declared_as_windows_1252() -> None:
    invoice = parse_invoice(finvoice("windows-1252", free_text=QUOTED).encode("cp1252"))
    assert invoice.seller.name == SELLER
    assert invoice.free_text == QUOTED


def test_utf8_with_bom_and_without_declaration() -> None:
    assert parse_invoice(b"\xef\xbb\xbf" + finvoice("UTF-8").encode()).seller.name == SELLER
    assert parse_invoice(finvoice(None).encode()).seller.name == SELLER


def test_utf16_with_bom() -> None:
    assert parse_invoice(finvoice("UTF-16").encode("utf-16")).seller.name == SELLER


def test_windows_1252_mislabelled_as_utf8_still_reads() -> None:
    document = finvoice("UTF-8", "Ääni Oy").encode("cp1252")
    assert parse_invoice(document).seller.name == "Ääni Oy"


def test_soap_frame_and_finvoice_each_with_own_declaration() -> None:
    frame = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:eb="http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd">'
        "<SOAP-ENV:Header><eb:MessageHeader><eb:From><eb:PartyId>003721291126</eb:PartyId>"
        "<eb:Role>Sender</eb:Role></eb:From><eb:To><eb:PartyId>DABAFIHH</eb:PartyId>"
        "<eb:Role>Intermediator</eb:Role></eb:To><eb:MessageData><eb:MessageId>M-1</eb:MessageId>"
        "</eb:MessageData></eb:MessageHeader></SOAP-ENV:Header>"
        "<SOAP-ENV:Body><eb:Manifest/></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    )
    document = frame.encode("utf-8") + finvoice("ISO-8859-15").encode("iso8859-15")
    invoice = parse_invoice(document)
    assert invoice.seller.name == SELLER
    assert invoice.routing is not None
    assert invoice.routing.message_id == "M-1"
    assert invoice.routing.receiver_operator == "DABAFIHH"


def test_finvoice_nested_in_soap_body() -> None:
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        + finvoice(None)
        + "</s:Body></s:Envelope>"
    )
    assert parse_invoice(document.encode()).number == "A-1"


def test_credit_note_is_recognised() -> None:
    document = finvoice("UTF-8").replace("INV01", "INV02").replace("1 255,00", "-1 255,00")
    invoice = parse_invoice(document.encode())
    assert invoice.credit_note
    assert invoice.total_including_vat == Decimal("-1255.00")
    assert invoice.format == DocumentFormat.FINVOICE


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"not xml at all", "not well-formed"),
        (b"<Finvoice><InvoiceDetails>", "not well-formed"),
        (b"<Order/>", "unknown document type <Order>"),
        (b'<Finvoice Version="3.0"/>', "no InvoiceDetails"),
        (b'<Finvoice Version="3.0"><InvoiceDetails/></Finvoice>', "InvoiceTotalVatIncludedAmount"),
        (
            finvoice("UTF-8").replace("<InvoiceNumber>A-1</InvoiceNumber>", "").encode(),
            "no InvoiceNumber",
        ),
        (finvoice("UTF-8").replace("20260105", "2026-13-45").encode(), "not a calendar date"),
        (finvoice("UTF-8").replace("20260105", "5.1.2026").encode(), "not a date"),
        (finvoice("UTF-8").replace("1 255,00", "lots").encode(), "is not a number"),
        (finvoice("KOI-99").encode(), "the character set 'KOI-99', which is not one e-invoices are"),
    ],
)
def test_unparsable_documents_say_why(document: bytes, reason: str) -> None:
    with pytest.raises(UnparsableInvoice, match=reason) as caught:
        parse_invoice(document)
    assert reason in caught.value.reason


XXE = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE Finvoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    b'<Finvoice Version="3.0"><InvoiceDetails><InvoiceNumber>&secret;</InvoiceNumber>'
    b"</InvoiceDetails></Finvoice>"
)


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, levels)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]><lolz>&lol{levels - 1};</lolz>'
    ).encode()


def test_external_entity_is_refused() -> None:
    with pytest.raises(UnparsableInvoice, match="DOCTYPE"):
        parse_invoice(XXE)


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.thread_time()  # CPU time of this thread: other processes on the machine do not count
    with pytest.raises(UnparsableInvoice, match="DOCTYPE"):
        parse_invoice(billion_laughs())
    assert time.thread_time() - started < 1


def test_oversize_document_is_refused_before_reading() -> None:
    padding = b"<!-- " + b"x" * 2000 + b" -->"
    document = finvoice("UTF-8").encode() + padding
    with pytest.raises(UnparsableInvoice, match="over the limit of 1000 bytes"):
        parse_invoice(document, max_bytes=1000)
    assert parse_invoice(document, max_bytes=len(document)).number == "A-1"


def test_default_limit_is_20_mb() -> None:
    with pytest.raises(UnparsableInvoice, match="over the limit of 20971520 bytes"):
        parse_invoice(b" " * (20 * 1024 * 1024 + 1))


def test_hardened_parser_itself_refuses_entities_even_without_the_byte_check() -> None:
    """UTF-16 hides `<!DOCTYPE` from a byte search; the parser's own document-type check still refuses it."""
    xxe_utf16 = XXE.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(XmlRejected, match="DOCTYPE"):
        parse_xml(xxe_utf16.encode("utf-16"))
    bomb_utf16 = (
        billion_laughs().decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )
    with pytest.raises(XmlRejected):
        parse_xml(bomb_utf16.encode("utf-16"))


def test_ubl_credit_note() -> None:
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ID>CN-9</cbc:ID>
  <cbc:IssueDate>2026-02-03</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="0216">003721291126</cbc:EndpointID>
    <cac:PartyLegalEntity><cbc:RegistrationName>Myyja Oy</cbc:RegistrationName>
      <cbc:CompanyID>2129112-6</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Ostaja</cbc:Name></cac:PartyName>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">25.50</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">125.50</cbc:TaxInclusiveAmount>
  </cac:LegalMonetaryTotal>
  <cac:CreditNoteLine><cbc:ID>1</cbc:ID><cbc:CreditedQuantity unitCode="C62">1</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Palautus</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount></cac:Price>
  </cac:CreditNoteLine>
</CreditNote>"""
    invoice = parse_invoice(document)
    assert invoice.format == DocumentFormat.PEPPOL_BIS
    assert invoice.credit_note
    assert invoice.number == "CN-9"
    assert invoice.total_including_vat == Decimal("-125.50"), "a credit note's money flows back"
    assert invoice.rows[0].amount == Decimal("-100.00")
    assert invoice.rows[0].unit_price == Decimal("100.00")
    assert invoice.seller.einvoice_address == "0216:003721291126"
    assert invoice.rows[0].description == "Palautus"
    assert invoice.rows[0].quantity == Decimal(-1)
    assert invoice.due_date is None


def test_teapps_with_two_invoices_is_refused() -> None:
    document = (
        b"<INVOICE_CENTER><CONTENT_FRAME><INVOICES><INVOICE/><INVOICE/></INVOICES></CONTENT_FRAME>"
        b"</INVOICE_CENTER>"
    )
    with pytest.raises(UnparsableInvoice, match="holds 2 invoices"):
        parse_invoice(document)


@pytest.mark.parametrize(
    "encoding", ["rot13", "zlib", "base64", "hex", "bz2", "unicode_escape", "idna", "undefined"]
)
def test_codec_registry_tricks_are_refused_as_character_sets(encoding: str) -> None:
    """Python knows these names, but they are transforms, not character sets: a typed refusal, never
    LookupError or UnicodeError."""
    with pytest.raises(UnparsableInvoice, match=f"declares the character set '{encoding}'"):
        parse_invoice(finvoice(encoding).encode("ascii", errors="replace"))


def test_doctype_with_only_an_external_id_is_read_without_fetching_anything() -> None:
    document = finvoice("ISO-8859-15").replace(
        '<Finvoice Version="3.0">',
        '<!DOCTYPE Finvoice SYSTEM "http://127.0.0.1:9/Finvoice.dtd">\n<Finvoice Version="3.0">',
    )
    assert parse_invoice(document.encode("iso8859-15")).seller.name == SELLER


@pytest.mark.parametrize(
    "subset",
    [
        '<!ENTITY name "Ostaja">',
        "<!ELEMENT Finvoice ANY>",
        '<!ATTLIST Finvoice Version CDATA "3.0">',
        '<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;',
    ],
)
def test_internal_subsets_are_refused(subset: str) -> None:
    document = finvoice("UTF-8").replace(
        '<Finvoice Version="3.0">', f'<!DOCTYPE Finvoice [{subset}]>\n<Finvoice Version="3.0">'
    )
    with pytest.raises(UnparsableInvoice, match="internal subset"):
        parse_invoice(document.encode())


def test_comments_before_the_root_are_read_in_linear_time() -> None:
    """The old envelope pattern backtracked exponentially on documents that open with comments (the TEAPPS
    files); the root is now found by the XML parser."""
    comments = "".join(f"<!-- kommentti {index} - -->\n<!---->" for index in range(3000))
    for root in ("<SOAP-ENV:Envelope", "<Finvoice"):
        document = f'<?xml version="1.0" encoding="UTF-8"?>{comments}{root}'
        started = time.thread_time()  # CPU time of this thread: other processes on the machine do not count
        with pytest.raises(UnparsableInvoice):
            parse_invoice(document.encode())
        assert time.thread_time() - started < 2
    read = parse_invoice((comments + finvoice(None)).encode())
    assert read.number == "A-1"


def test_a_document_over_its_time_budget_is_refused_with_the_reason() -> None:
    with pytest.raises(UnparsableInvoice, match="took longer than 0 s"):
        parse_invoice(finvoice("UTF-8").encode(), max_seconds=0)


TEAPPS_PARTIES = """<?xml version="1.0" encoding="ISO-8859-15"?>
<!-- TEAPPS files open with comments like this one -->
<!-- and this one -->
<INVOICE_CENTER><CONTENT_FRAME><BLOCK_RULES><FORMAT_VERSION>3.0</FORMAT_VERSION></BLOCK_RULES>
<INVOICES><INVOICE>
<HEADER><INVOICE_ID>T-1</INVOICE_ID><INVOICE_DATE><DATE><DAY>03</DAY><MONTH>02</MONTH><CENTURY>20</CENTURY>
<DECADE_AND_YEAR>25</DECADE_AND_YEAR></DATE></INVOICE_DATE><CURRENCY><CODE>EUR</CODE></CURRENCY></HEADER>
<INVOICE_SENDER><CUSTOMER_INFORMATION><CUSTOMER_NAME>Laskutuspalvelu Oy</CUSTOMER_NAME>
<ORGANIZATION_NUMBER>1111111-1</ORGANIZATION_NUMBER></CUSTOMER_INFORMATION></INVOICE_SENDER>
<PAYEE><CUSTOMER_INFORMATION><CUSTOMER_NAME>Myyjä Oy</CUSTOMER_NAME>
<ORGANIZATION_NUMBER>2222222-2</ORGANIZATION_NUMBER></CUSTOMER_INFORMATION>
<BANKS><IBAN_ACCOUNT_NUMBER>FI21 1234 5600 0007 85</IBAN_ACCOUNT_NUMBER></BANKS></PAYEE>
<INVOICE_RECIPIENT><CUSTOMER_INFORMATION><CUSTOMER_NAME>Kirjanpitotoimisto Oy</CUSTOMER_NAME>
<ORGANIZATION_NUMBER>3333333-3</ORGANIZATION_NUMBER></CUSTOMER_INFORMATION></INVOICE_RECIPIENT>
<RECEIVER><CUSTOMER_INFORMATION><CUSTOMER_NAME>Ostaja Oy</CUSTOMER_NAME>
<ORGANIZATION_NUMBER>4444444-4</ORGANIZATION_NUMBER>
</CUSTOMER_INFORMATION></RECEIVER>
<ROWS><ROW><ARTICLE><ARTICLE_NAME>Kahvi</ARTICLE_NAME></ARTICLE>
<QUANTITY><CHARGED Q_UNIT="kg" SIGN="+">2</CHARGED></QUANTITY>
<PRICE_PER_UNIT><AMOUNT SIGN="+" VAT="INCLUDED">12.55</AMOUNT></PRICE_PER_UNIT>
<ROW_TOTAL><AMOUNT SIGN="+" VAT="INCLUDED">25.10</AMOUNT></ROW_TOTAL><VAT><RATE>25.5</RATE></VAT></ROW></ROWS>
<SUMMARY><INVOICE_TOTAL><AMOUNT SIGN="+" VAT="INCLUDED">25.10</AMOUNT></INVOICE_TOTAL></SUMMARY>
</INVOICE></INVOICES></CONTENT_FRAME></INVOICE_CENTER>"""


def test_teapps_seller_and_buyer_are_the_payee_and_receiver_parties() -> None:
    invoice = parse_invoice(TEAPPS_PARTIES.encode("iso8859-15"))
    assert (invoice.seller.name, invoice.seller.business_id) == ("Myyjä Oy", "2222222-2")
    assert (invoice.buyer.name, invoice.buyer.business_id) == ("Ostaja Oy", "4444444-4")
    assert invoice.seller_iban == "FI2112345600000785"


def test_vat_included_unit_prices_and_row_amounts_are_read() -> None:
    [row] = parse_invoice(TEAPPS_PARTIES.encode("iso8859-15")).rows
    assert row.unit_price is None
    assert row.unit_price_including_vat == Decimal("12.55")
    assert row.amount is None
    assert row.amount_including_vat == Decimal("25.10")
    finvoice_row = finvoice("UTF-8").replace(
        "</InvoiceDetails>",
        "</InvoiceDetails><InvoiceRow><ArticleName>Kahvi</ArticleName>"
        '<InvoicedQuantity QuantityUnitCode="kg">2</InvoicedQuantity>'
        '<UnitPriceVatIncludedAmount AmountCurrencyIdentifier="EUR">12,55</UnitPriceVatIncludedAmount>'
        "<RowVatRatePercent>25,5</RowVatRatePercent></InvoiceRow>",
    )
    [row] = parse_invoice(finvoice_row.encode()).rows
    assert row.unit_price_including_vat == Decimal("12.55")
