"""What every view shares: the request session, access rules, form parsing, saving, paging, errors and headers."""
