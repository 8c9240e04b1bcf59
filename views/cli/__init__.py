"""The `drillbook` command line: one module per command group, all on one blueprint."""
