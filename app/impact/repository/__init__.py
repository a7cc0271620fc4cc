"""Queries of the impact domain, by job: the ledger writer's (ledger_writes), the reports' over
the rollups (report_totals) and over what the totals are about (report_lookups), one buyer's or
one order's entries summed (buyer_totals), and the stored ledger read back whole for reconcile
(ledger_reads)."""

from app.impact.repository.buyer_totals import CountyNet as CountyNet
from app.impact.repository.buyer_totals import SupplierNet as SupplierNet
from app.impact.repository.buyer_totals import entry_years as entry_years
from app.impact.repository.buyer_totals import households as households
from app.impact.repository.buyer_totals import net_by_county as net_by_county
from app.impact.repository.buyer_totals import net_by_pairing as net_by_pairing
from app.impact.repository.buyer_totals import net_by_supplier as net_by_supplier
from app.impact.repository.buyer_totals import of_order as of_order
from app.impact.repository.buyer_totals import orders_of_buyer as orders_of_buyer
from app.impact.repository.buyer_totals import orders_sold as orders_sold
from app.impact.repository.ledger_reads import ledger_entries as ledger_entries
from app.impact.repository.ledger_reads import products_total as products_total
from app.impact.repository.ledger_reads import rollup_rows as rollup_rows
from app.impact.repository.ledger_writes import add_to_rollup as add_to_rollup
from app.impact.repository.ledger_writes import counties as counties
from app.impact.repository.ledger_writes import insert_attributions as insert_attributions
from app.impact.repository.ledger_writes import insert_entries as insert_entries
from app.impact.repository.ledger_writes import (
    pairings_helping_provinces as pairings_helping_provinces,
)
from app.impact.repository.ledger_writes import recorded_refund_lines as recorded_refund_lines
from app.impact.repository.ledger_writes import recorded_sale_lines as recorded_sale_lines
from app.impact.repository.ledger_writes import sale_pairings as sale_pairings
from app.impact.repository.report_lookups import PairingRow as PairingRow
from app.impact.repository.report_lookups import county_names as county_names
from app.impact.repository.report_lookups import designated_pairings as designated_pairings
from app.impact.repository.report_lookups import get_county as get_county
from app.impact.repository.report_lookups import get_organization as get_organization
from app.impact.repository.report_lookups import get_province as get_province
from app.impact.repository.report_lookups import pairing_rows as pairing_rows
from app.impact.repository.report_lookups import provinces as provinces
from app.impact.repository.report_totals import AmountOrders as AmountOrders
from app.impact.repository.report_totals import CountyTotal as CountyTotal
from app.impact.repository.report_totals import NamedTotal as NamedTotal
from app.impact.repository.report_totals import buyer_kinds as buyer_kinds
from app.impact.repository.report_totals import (
    buyer_provinces_of_origin as buyer_provinces_of_origin,
)
from app.impact.repository.report_totals import (
    cooperative_buyer_provinces as cooperative_buyer_provinces,
)
from app.impact.repository.report_totals import cooperative_months as cooperative_months
from app.impact.repository.report_totals import cooperatives_benefited as cooperatives_benefited
from app.impact.repository.report_totals import counties_benefited as counties_benefited
from app.impact.repository.report_totals import (
    counties_bought_by_province as counties_bought_by_province,
)
from app.impact.repository.report_totals import county_buyer_provinces as county_buyer_provinces
from app.impact.repository.report_totals import county_months as county_months
from app.impact.repository.report_totals import county_to_date as county_to_date
from app.impact.repository.report_totals import key_assistance_counties as key_assistance_counties
from app.impact.repository.report_totals import (
    key_assistance_counties_benefited as key_assistance_counties_benefited,
)
from app.impact.repository.report_totals import key_assistance_months as key_assistance_months
from app.impact.repository.report_totals import key_assistance_total as key_assistance_total
from app.impact.repository.report_totals import months as months
from app.impact.repository.report_totals import organization_counties as organization_counties
from app.impact.repository.report_totals import organization_months as organization_months
from app.impact.repository.report_totals import organization_total as organization_total
from app.impact.repository.report_totals import origin_provinces as origin_provinces
from app.impact.repository.report_totals import pairing_totals as pairing_totals
from app.impact.repository.report_totals import top_counties as top_counties
from app.impact.repository.report_totals import year_total as year_total
from app.impact.repository.report_totals import years as years
