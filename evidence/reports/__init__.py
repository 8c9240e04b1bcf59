"""Reports: the plain data each report is built from, PDF rendering and issuing into the register."""
