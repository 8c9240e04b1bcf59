"""Rendering for pages and PDFs alike: sanitised Markdown, SVG charts, dates, times and durations."""
