"""Routes of banli.assessment (第三方评估)."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/add/", views.add_items, name="add_items"),
    path("<int:pk>/remove/<int:entry>/", views.remove_item, name="remove_item"),
    path("criteria/", views.criteria, name="criteria"),
    path("results/", views.results, name="results"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.work, name="work"),
    path("mine/<int:pk>/item/<int:entry>/", views.score, name="score"),
    path("mine/<int:pk>/submit/", views.submit, name="submit"),
]
