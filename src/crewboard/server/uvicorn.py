"""uvicorn's server, made to end live streams when it starts shutting down.

uvicorn waits for every open response before it runs the app's lifespan shutdown, so an
SSE stream would hold a stopping server forever; this server ends them first.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from crewboard.api.routes.events import end_streams


class Server(uvicorn.Server):
    """A uvicorn server for one crewboard app."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.crewboard_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """End the live streams, then shut down as uvicorn does."""
        end_streams(self.crewboard_app)
        await super().shutdown(sockets)
