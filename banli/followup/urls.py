"""Routes of banli.followup."""

from django.urls import path

from . import views

app_name = "followup"

urlpatterns = [
    path("", views.rounds, name="rounds"),
    path("open/", views.open_round, name="open_round"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/close/", views.close, name="close"),
    path("entry/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("unit/", views.unit_items, name="unit_items"),
    path("entry/<int:pk>/report/", views.report, name="report"),
    path("cross-year/", views.cross_year, name="cross_year"),
]
