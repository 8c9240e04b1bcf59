"""What every feature builds on: engine and sessions, schema revision, column types, times, errors, validate-and-apply, paging, CSV cells. Imports no feature."""
