"""A local gRPC server that speaks Modal's client API and refuses every call as UNAUTHENTICATED.

NOT Modal: a stand-in control plane for offline tests. The real `modal` CLI (and the
JavaScript SDK) pointed at it with MODAL_SERVER_URL=http://127.0.0.1:PORT and fake tokens
behaves as it would against Modal with a revoked token, in milliseconds rather than the
~60 s the Python CLI spends retrying a dead address. Uses the service definition shipped
in the installed SDK (modal_proto) and grpclib, both from python/.venv.

    python/.venv/bin/python apps/cli/src/__fixtures__/modal-auth-refuser.py   # prints "listening PORT"
"""

import asyncio
import sys

from grpclib.const import Status
from grpclib.exceptions import GRPCError
from grpclib.server import Server
from modal_proto.api_grpc import ModalClientBase

MESSAGE = "Token validation failed (rouse test server: every token is refused)"


async def _refuse(self, stream):
    raise GRPCError(Status.UNAUTHENTICATED, MESSAGE)


Refuser = type("Refuser", (ModalClientBase,), {name: _refuse for name in ModalClientBase.__abstractmethods__})


async def main() -> None:
    server = Server([Refuser()])
    await server.start("127.0.0.1", 0)
    port = server._server.sockets[0].getsockname()[1]  # noqa: SLF001
    print(f"listening {port}", flush=True)
    # Exit when the parent closes our stdin, so a crashed test never leaves it behind.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.close()
    await server.wait_closed()


asyncio.run(main())
