"""A small HTTP/1.1 load generator on asyncio streams, for loopback only.

Hand-written rather than httpx: on a 2-core machine the generator shares the CPU with the server, and
a client that only writes prepared bytes and reads a Content-Length body costs a fraction of a full
client's CPU, leaving more of the machine to the server under test.
"""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    bodies: list[bytes] = field(default_factory=list)
    elapsed_s: float = 0.0
    started_at: float = field(default_factory=time.perf_counter)
    finished_at: list[float] = field(default_factory=list)

    def count(self, status: int, latency_ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.append(latency_ms)
        self.finished_at.append(time.perf_counter())

    def rates_per_window(self, window_s: float) -> list[float]:
        """Answers per second in each whole window of the run."""
        windows = int(self.elapsed_s // window_s)
        counts = [0] * windows
        for moment in self.finished_at:
            index = int((moment - self.started_at) // window_s)
            if index < windows:
                counts[index] += 1
        return [count / window_s for count in counts]


def request_bytes(path: str, body: dict, headers: dict[str, str], port: int) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        "Connection: keep-alive",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(raw)
                await self.writer.drain()
                return await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: open a new one, once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def closed_loop(
    port: int,
    make_request: Callable[[int], bytes],
    *,
    concurrency: int,
    seconds: float,
    keep_bodies: bool = False,
    at_least: int = 0,
) -> Outcome:
    """`concurrency` clients each send the next request as soon as the last one answered, for `seconds`
    and until `at_least` requests were sent: a short run on a slow moment still has answers to count."""
    outcome = Outcome()
    counter = iter(range(10**9))
    sent = 0
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal sent
        connection = Connection(port)
        try:
            while time.perf_counter() < deadline or sent < at_least:
                sent += 1
                raw = make_request(next(counter))
                started = time.perf_counter()
                try:
                    status, body = await connection.send(raw)
                except (OSError, asyncio.IncompleteReadError):
                    outcome.errors += 1
                    continue
                outcome.count(status, (time.perf_counter() - started) * 1000)
                if keep_bodies:
                    outcome.bodies.append(body)
        finally:
            connection.close()

    outcome.started_at = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    outcome.elapsed_s = time.perf_counter() - outcome.started_at
    return outcome


async def open_loop(
    port: int, make_request: Callable[[int], bytes], *, rate: float, seconds: float, at_least: int = 0
) -> Outcome:
    """One request every 1/rate seconds whatever the answers: latency counts from the planned start, so a
    slow answer is not hidden by the next request waiting for it. `at_least` requests however short."""
    outcome = Outcome()
    idle: list[Connection] = []
    total = max(int(rate * seconds), at_least)
    start = outcome.started_at = time.perf_counter()

    async def one(n: int):
        planned = start + n / rate
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        connection = idle.pop() if idle else Connection(port)
        try:
            status, _ = await connection.send(make_request(n))
        except (OSError, asyncio.IncompleteReadError):
            outcome.errors += 1
            connection.close()
            return
        outcome.count(status, (time.perf_counter() - planned) * 1000)
        idle.append(connection)

    await asyncio.gather(*(one(n) for n in range(total)))
    outcome.elapsed_s = time.perf_counter() - start
    for connection in idle:
        connection.close()
    return outcome
