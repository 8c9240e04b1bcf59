"""The proof machinery: the content-addressed file vault and intake, integrity checks, rendering
(Markdown, charts, dates), report data, PDFs and issuing, backup and restore. The records about
evidence and the register of issued reports live in models/; the bytes and the proofs about them
live here."""
