"""Routes: filled by its part of the app."""

urlpatterns: list = []
