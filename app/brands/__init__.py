"""Regional public brands (区域公用品牌) as buyers and operators see them: the operator's API, the
brands index and each brand's page with its counties, suppliers, products and benefit to date.
The brand tables and the linking rules live in the catalog (which lists products under them);
this domain sits above impact, whose ledger gives the benefit."""
