"""The file Maventa's invoice upload takes: the XML alone, or a ZIP of it with its image and attachments."""

import io
import zipfile


def upload_package(
    document: bytes, pdf: bytes | None, attachments: list[tuple[str, bytes]]
) -> tuple[str, bytes]:
    """The file Maventa is given: the XML alone, or a ZIP of `invoice.xml`, its image `invoice.pdf` (same base
    name, as Maventa requires) and numbered attachments `1_<name>`, `2_<name>`, ...
    (docs/facts/maventa.md §2.4)."""
    if pdf is None and not attachments:
        return "invoice.xml", document
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("invoice.xml", document)
        if pdf is not None:
            archive.writestr("invoice.pdf", pdf)
        for number, (name, content) in enumerate(attachments, start=1):
            archive.writestr(f"{number}_{name}", content)
    return "invoice.zip", buffer.getvalue()
