"""The ISO/IEC 27001:2022 control catalogue, the links of records to controls, applicability (SoA) and evidence coverage."""
