"""The proof machinery: the content-addressed file vault, integrity checks, PDF rendering and
the register of issued reports. Records about evidence live in models/; the bytes and the
proofs about them live here."""
