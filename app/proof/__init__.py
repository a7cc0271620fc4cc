"""Proof of purchase for organisations: a purchase certificate per order and a yearly statement,
as printable HTML, PDF and XLSX, from the benefit ledger (above app.order and app.impact)."""
