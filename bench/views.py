"""The baseline of the web targets: a DRF view that authenticates like the API and does nothing.

Same middleware, same authentication classes (token, then session) and the same permission
check as every API view; it reads nothing beyond what authentication reads and returns a small
fixed document. A target's throughput divided by this one's says what the target's own work costs,
whatever the machine's speed that minute.
"""

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class BareView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "user": str(request.user.pk)})
