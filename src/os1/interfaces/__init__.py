"""Interfaces: renderings of the companion's event stream (terminal now; web and API later)."""
