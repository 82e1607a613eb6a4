from django.urls import include, path

urlpatterns = [
    path("", include("payments.api.order_urls")),
    path("", include("payments.api.money_urls")),
]
