"""The start page's own lists; the start page itself is `/` (banli.urls, name "home")."""

from django.urls import path

from . import views

app_name = "desk"

urlpatterns = [
    path("to-assign/", views.to_assign, name="to_assign"),
]
