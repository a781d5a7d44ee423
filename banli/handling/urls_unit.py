"""Routes; see the module docstring of the views they serve."""

urlpatterns: list = []
