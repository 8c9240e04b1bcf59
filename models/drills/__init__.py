"""Drills: planning, live recording, steps, outages, objectives, participants, metrics, consistency checks, the timeline CSV and the demo data."""
