"""Background work of the reports app (django-tasks)."""
