from django.urls import include, path

urlpatterns = [
    path("", include("payments.api.order_urls")),
]
