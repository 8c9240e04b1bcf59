"""Web pages and commands: one blueprint per area, thin over the domain in models/."""
