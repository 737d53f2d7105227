"""A receipt as a PDF, with the same lines as its page, for a person's own accounts.

fpdf2's core fonts (Helvetica) need no font file but cover Latin-1 only: other characters (a
seller's name in another script) are printed as "?" rather than failing the download.
"""

from __future__ import annotations

from fpdf import FPDF

from ringfence.billing.receipts import Receipt


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf(receipt: Receipt) -> bytes:
    document = FPDF(format="A4")
    document.set_compression(False)  # a page of text: its words stay findable in the file
    document.set_title(_latin1(f"Receipt {receipt.number}"))
    document.set_author(_latin1(receipt.seller.name))
    document.set_creator("ringfence")
    document.add_page()
    document.set_font("Helvetica", style="B", size=18)
    document.cell(0, 12, "Receipt", new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", size=11)
    for label, value in receipt.lines():
        document.set_font("Helvetica", style="B", size=11)
        document.cell(55, 8, _latin1(label))
        document.set_font("Helvetica", size=11)
        document.multi_cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
