"""`GET /healthz`: 200 when the API can reach Temporal, so load balancers and `make run` can wait on it."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from starters.api.errors import ERROR_RESPONSES
from starters.api.temporal import TemporalConnection

router = APIRouter(tags=["health"], responses=ERROR_RESPONSES)


class Health(BaseModel):
    status: str
    temporal_namespace: str


@router.get(
    "/healthz",
    responses={503: {"description": "Temporal cannot be reached"}},
)
async def healthz(request: Request) -> Health:
    connection: TemporalConnection = request.app.state.temporal
    await connection.check()
    client = await connection.client()
    return Health(status="ok", temporal_namespace=client.namespace)
