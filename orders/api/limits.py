"""Refuse oversized API bodies before anything reads them.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when it parses form data itself; DRF's JSON parser
reads the raw stream, so without this a 50 MB body would be read and parsed in full.
"""

from django.conf import settings
from django.http import JsonResponse

from orders.api.errors import error_body

API_PREFIX = "/api/"


def body_too_large_response(limit: int) -> JsonResponse:
    message = f"The request body exceeds the limit of {limit} bytes."
    return JsonResponse(
        error_body(message, [{"errorCode": "INVALID_API_INPUT", "message": message, "field": None}]),
        status=413,
    )


class ApiBodySizeLimitMiddleware:
    """Answer 413 with the API's error body when Content-Length is above the limit.

    Django limits a request's stream to its declared Content-Length (no header: nothing is read),
    so the declared length is the whole story.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith(API_PREFIX):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return body_too_large_response(limit)
        return self.get_response(request)
