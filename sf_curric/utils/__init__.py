"""Utilities: logging setup (`logs`), timing helpers (`timing`), checkpoint io (`checkpoint`)."""
