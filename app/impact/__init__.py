"""Benefit ledger and impact reporting: who benefits from each purchase, by county and pairing."""
