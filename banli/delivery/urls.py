"""Routes of banli.delivery."""

from django.urls import path

from . import views

app_name = "delivery"

urlpatterns = [
    path("settings/", views.my_settings, name="settings"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/resend/", views.resend, name="resend"),
]
