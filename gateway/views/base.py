"""The base of every /v1 view: bearer-token authentication, a request id, errors as OpenAI JSON."""
from __future__ import annotations

from rest_framework.views import APIView

from tokens.authentication import BearerTokenAuthentication
from usage.metering import new_request_id


class ApiView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes: list = []

    def initial(self, request, *args, **kwargs):
        request.request_id = new_request_id()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        request_id = getattr(request, "request_id", None)
        if request_id and not response.has_header("x-request-id"):
            response["x-request-id"] = request_id
        return response
