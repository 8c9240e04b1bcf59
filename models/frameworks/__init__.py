"""Frameworks beside ISO/IEC 27001:2022 that a drill programme answers to: ISO 22301:2019, the NIS2
implementing regulation (EU) 2024/2690 and DORA (EU) 2022/2554. Their requirements are mapped to the
ISO 27001 controls, so evidence recorded once counts for every requirement mapped to its controls."""
