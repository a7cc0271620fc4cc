"""Supplier performance (供应商表现): how fast a supplier ships, how often its buyers ask for
after-sales, how they rate it and which of its prices are flagged; shown on the public supplier
page (rating and shipping speed) and on the operator's supplier page (all of it)."""
