"""Backup, restore and the database copy they both use."""
