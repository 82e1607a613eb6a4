"""Headers every answer carries: a Content-Security-Policy, and no-store on console pages.

The policy (settings.CONTENT_SECURITY_POLICY) lets pages load scripts, styles, images and fonts from this
site only and run nothing inline: the console and the admin keep every script in static files, htmx
included, so an injected <script> or onclick= does not run. The Swagger UI page of the API docs gets
settings.CONTENT_SECURITY_POLICY_API_DOCS (its inline styles). Console pages show customers' names,
addresses and payments: `Cache-Control: no-store` keeps them out of browser and proxy caches, and the
back button of a shared machine after sign-out.
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

CONSOLE_PREFIX = "/console/"
API_DOCS_PATH = "/api/v1/docs/"


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.docs_policy = policy_header(settings.CONTENT_SECURITY_POLICY_API_DOCS)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not self._debug_page(response):
            response["Content-Security-Policy"] = self.docs_policy if request.path == API_DOCS_PATH else self.policy
        if request.path.startswith(CONSOLE_PREFIX):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response

    @staticmethod
    def _debug_page(response) -> bool:
        """Django's technical 404 and 500 pages (DEBUG only) are styled inline; leave them readable."""
        return settings.DEBUG and response.status_code in (404, 500)
