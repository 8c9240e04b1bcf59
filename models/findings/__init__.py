"""Findings and incidents: what a drill or an incident showed."""
