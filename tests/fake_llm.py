"""A scripted OpenAI-compatible chat server for tests: the fake model behind the real client.

It speaks `POST /v1/chat/completions` (plain JSON, or server-sent events when the request sets
`"stream": true`, tool calls included), answers with the replies a test queued, and keeps every
request body it received so tests can check what would have left the machine.

    with FakeLLM() as llm:
        llm.queue(tool_call("find_customers", {"churn_risk": "high"}), text("42 customers."))
        settings = LLMSettings(base_url=llm.url, api_key="test", model="fake")
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    """One scripted response. `status` other than 200 sends an OpenAI-style error body."""

    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "arguments": dict | raw str}
    status: int = 0  # 0 = 200
    error: str = ""
    delay: float = 0.0  # seconds to wait before answering (longer than the client timeout = a timeout)
    finish_reason: str | None = None


def text(content: str, *, finish_reason: str = "stop") -> Reply:
    return Reply(text=content, finish_reason=finish_reason)


def tool_call(name: str, args: dict[str, Any] | None = None, *, raw_arguments: str | None = None) -> Reply:
    """The model asks for one tool; `raw_arguments` sends the argument string as is (e.g. broken JSON)."""
    return Reply(tool_calls=[{"name": name, "arguments": raw_arguments if raw_arguments is not None else (args or {})}])


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    """The model asks for several tools in one turn."""
    return Reply(tool_calls=[{"name": n, "arguments": a} for n, a in calls])


def error(status: int, message: str = "scripted failure") -> Reply:
    return Reply(status=status, error=message)


def delay(seconds: float, then: Reply | None = None) -> Reply:
    reply = then or text("too late")
    reply.delay = seconds
    return reply


class FakeLLM:
    """The server; `queue()` replies in order, or set `responder(body) -> Reply` for the rest."""

    def __init__(self, *, chunk_size: int = 4):
        self.chunk_size = chunk_size
        self.requests: list[dict[str, Any]] = []  # parsed bodies, in order received
        self.raw_bodies: list[str] = []
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._calls = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # -- scripting ---------------------------------------------------------------------
    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.raw_bodies.clear()

    @property
    def pending(self) -> int:
        return len(self._script)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            return self.responder(body)
        return error(500, "the fake LLM has no scripted reply left")

    # -- HTTP --------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                body = json.loads(raw)
                with fake._lock:
                    fake.requests.append(body)
                    fake.raw_bodies.append(raw)
                    fake._calls += 1
                    n = fake._calls
                reply = fake._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    if reply.status and reply.status != 200:
                        return self._json(reply.status, {"error": {"message": reply.error, "type": "scripted",
                                                                   "code": str(reply.status)}})
                    if body.get("stream"):
                        return self._stream(reply, body, n)
                    return self._json(200, fake._completion(reply, body, n))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply, body: dict[str, Any], n: int) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in fake._chunks(reply, body, n):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode("utf-8"))
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        return Handler

    # -- payloads ----------------------------------------------------------------------
    @staticmethod
    def _arguments(call: dict[str, Any]) -> str:
        args = call["arguments"]
        return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)

    def _completion(self, reply: Reply, body: dict[str, Any], n: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{n}_{i}", "type": "function",
                 "function": {"name": c["name"], "arguments": self._arguments(c)}}
                for i, c in enumerate(reply.tool_calls)]
        return {"id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": self._finish(reply)}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    @staticmethod
    def _finish(reply: Reply) -> str:
        return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")

    def _chunks(self, reply: Reply, body: dict[str, Any], n: int):
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": f"chatcmpl-{n}", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        yield chunk({"role": "assistant", "content": ""})
        content = reply.text or ""
        for start in range(0, len(content), self.chunk_size):
            yield chunk({"content": content[start:start + self.chunk_size]})
        for i, call in enumerate(reply.tool_calls):
            yield chunk({"tool_calls": [{"index": i, "id": f"call_{n}_{i}", "type": "function",
                                         "function": {"name": call["name"], "arguments": ""}}]})
            args = self._arguments(call)
            step = max(self.chunk_size * 3, 1)
            for start in range(0, len(args), step):
                yield chunk({"tool_calls": [{"index": i, "function": {"arguments": args[start:start + step]}}]})
        yield chunk({}, self._finish(reply))
        if (body.get("stream_options") or {}).get("include_usage"):
            yield {"id": f"chatcmpl-{n}", "object": "chat.completion.chunk", "created": int(time.time()),
                   "model": body.get("model", "fake"), "choices": [],
                   "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
