"""Template filters and globals: local times, durations, sanitised Markdown, file types."""

from flask import Flask

from evidence.filetypes import describe
from evidence.rendering.formatting import duration, localtime, long_date, org_today, signed_duration, utctime
from evidence.rendering.markdown import render_markdown


def register(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(describe, "describe_type")
    for fn in (localtime, utctime, duration, signed_duration, long_date):
        app.add_template_filter(fn)
    app.add_template_global(org_today, "today")
