"""The Drillbook app with one bare route added, so a benchmark can compare a real page with the framework's floor."""

from app import create_app

app = create_app()


def bare():
    """Nothing but Flask, the WSGI server and Drillbook's request hooks."""
    return "ok"


bare._drillbook_access = "public"
app.add_url_rule("/bench-bare", "bench_bare", bare)
