"""Panels this app adds to the item page (registered with banli.core.panels)."""
