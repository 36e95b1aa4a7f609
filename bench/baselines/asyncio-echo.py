"""The echo server a follower of Python's asyncio tutorial would write: asyncio.start_server
with a read/write/drain loop (asyncio turns TCP_NODELAY on for every connection itself). A baseline for the rate and concurrency workloads of
bench/run.ts. Prints "listening on HOST:PORT" to stderr once it accepts.

    python3 asyncio-echo.py [HOST]
"""

import asyncio
import sys


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass  # a caller that resets is simply gone
    finally:
        writer.close()


async def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    server = await asyncio.start_server(echo, host, 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {host}:{port}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
