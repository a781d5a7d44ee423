"""Panels the reports app adds to other apps' pages (banli.core.panels)."""
