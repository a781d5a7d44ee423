from django.urls import path

from .views import browse

app_name = "items"

urlpatterns = [
    path("", browse.item_list, name="list"),
    path("<int:pk>/", browse.item_detail, name="detail"),
]
