"""Routes of the batch pages; see banli.batch.views."""

from django.urls import path

from . import views

app_name = "batch"

urlpatterns = [
    path("run/<str:run_id>/", views.run, name="run"),
    path("run/<str:run_id>/step/", views.step, name="step"),
    path("<slug:key>/select/", views.select, name="select"),
    path("<slug:key>/", views.start, name="start"),
]
