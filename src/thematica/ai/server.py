"""A client for the team's own OpenAI-compatible server (vLLM, llama.cpp server, Ollama, LM
Studio): chat completions for coding and drafts, embeddings for suggestions.

Nothing leaves the machine unless a project names a server (setting ``ai_url``):
:func:`client_from_settings` returns None without one. The API key is never stored; the
setting ``ai_api_key_env`` names the environment variable that holds it. Every failure is a
:class:`BackendError` with one line saying which server and what went wrong; a 5xx answer or a
timeout is retried once. ``httpx`` is imported only when a request is made.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from thematica.core.errors import InputError

if TYPE_CHECKING:
    import httpx
    import numpy as np

    from thematica.ai.embedders import EmbedderInfo

__all__ = [
    "BackendError",
    "ServerClient",
    "ServerEmbedder",
    "check_api_key_env",
    "check_url",
    "client_from_settings",
]

T = TypeVar("T")

#: texts per embeddings request
EMBED_BATCH = 64
#: how long to wait before the one retry of a 5xx answer or a timeout
RETRY_PAUSE_S = 0.5
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.S)


class BackendError(InputError):
    """The AI server could not be used: unreachable, an HTTP error, a reply that is not JSON or
    not the expected shape, a model it does not serve. Nothing was stored."""


def check_url(url: str) -> str:
    """``url`` as the base of an OpenAI-compatible server (``http(s)://host[:port][/path]``,
    with or without ``/v1``); InputError for anything else. Credentials do not belong in it."""
    from urllib.parse import urlsplit

    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise InputError(f"AI server URL {url!r} is not valid: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"AI server URL must look like http://host:port or https://host/…, not {url!r}"
        )
    if parts.username or parts.password:
        raise InputError(
            "AI server URL must not hold credentials; put the key in an environment variable "
            "and name it in the setting ai_api_key_env"
        )
    if parts.query or parts.fragment:
        raise InputError(f"AI server URL must not have a query or fragment: {url!r}")
    return text.rstrip("/")


def check_api_key_env(name: str) -> str:
    """An environment variable name (the key itself is never stored)."""
    name = name.strip()
    if not _ENV_NAME.fullmatch(name):
        raise InputError(
            f"ai_api_key_env must name an environment variable (letters, digits, _), not {name!r}"
        )
    return name


def _api_base(url: str) -> str:
    """The server's root, endpoints being ``{root}/v1/...``: a trailing ``/v1`` is dropped."""
    base = url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def _reason(exc: Exception) -> str:
    """A connection failure in a few words ("connection refused", "host not found")."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if "refused" in low:
        return "connection refused"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "host not found"
    if "certificate" in low or "ssl" in low:
        return "TLS error: " + _one_line(text, 120)
    return _one_line(re.sub(r"^\[Errno -?\d+\]\s*", "", text), 120)


def _one_line(text: str, most: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= most else flat[: most - 1] + "…"


def parse_json_reply(content: str) -> Any:
    """The JSON value in a chat reply: the whole text, a fenced block, or the outermost
    ``{...}``/``[...]`` in it (models wrap JSON in prose or code fences). ValueError if none."""
    text = content.strip()
    fenced = _FENCE.match(text)
    candidates = [text, fenced.group(1)] if fenced else [text]
    for opener, closer in (("{", "}"), ("[", "]")):
        first, last = text.find(opener), text.rfind(closer)
        if 0 <= first < last:
            candidates.append(text[first : last + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise ValueError("no JSON value in the reply")


class ServerClient:
    """One OpenAI-compatible server and chat model (``embedding_model`` for embeddings,
    default the chat model). Not thread-safe; :meth:`close` (or ``with``) frees the pool."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        embedding_model: str | None = None,
        max_tokens: int | None = 1024,
    ) -> None:
        self.url = check_url(url)
        self.model = model.strip()
        if not self.model:
            raise InputError("an AI server needs a model name (setting ai_model)")
        self.embedding_model = (embedding_model or "").strip() or self.model
        self.timeout = float(timeout)
        #: the longest answer asked for (a small model may otherwise ramble to its context end)
        self.max_tokens = max_tokens
        self._base = _api_base(self.url)
        self._api_key = api_key or None
        self._http: httpx.Client | None = None
        self._json_mode = True  # ask for response_format json_object until the server refuses
        #: requests sent (for progress reports and tests)
        self.requests = 0

    def __repr__(self) -> str:
        return f"ServerClient({self.url!r}, model={self.model!r})"

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- transport ---------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        if self._http is None:
            import httpx

            headers = {"Accept": "application/json"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            self._http = httpx.Client(timeout=self.timeout, headers=headers, trust_env=False)
        return self._http

    def _request(self, method: str, path: str, what: str, body: Any = None) -> Any:
        """The parsed JSON answer of ``method path``; retries a 5xx or a timeout once."""
        import httpx

        url = f"{self._base}{path}"
        for attempt in (1, 2):
            self.requests += 1
            try:
                reply = self._client().request(method, url, json=body)
            except httpx.TimeoutException as exc:
                if attempt == 1:
                    time.sleep(RETRY_PAUSE_S)
                    continue
                raise BackendError(
                    f"AI server {self.url} did not answer {what} within {self.timeout:g} s "
                    "(tried twice)",
                    url=self.url,
                ) from exc
            except httpx.TransportError as exc:
                raise BackendError(
                    f"AI server {self.url} is unreachable: {_reason(exc)}", url=self.url
                ) from exc
            if reply.status_code >= 500 and attempt == 1:
                time.sleep(RETRY_PAUSE_S)
                continue
            if reply.status_code >= 400:
                raise self._http_error(reply, what)
            try:
                return reply.json()
            except ValueError as exc:
                raise BackendError(
                    f"AI server {self.url} returned invalid JSON for {what}: "
                    f"{_one_line(reply.text, 80)!r}",
                    url=self.url,
                ) from exc
        raise AssertionError("unreachable")

    def _http_error(self, reply: httpx.Response, what: str) -> BackendError:
        message = _error_text(reply)
        if reply.status_code in (400, 404) and "model" in message.lower():
            served = self._served_models()
            model = self.embedding_model if what == "embeddings" else self.model
            if served is not None and model not in served:
                return BackendError(
                    f"AI server {self.url} does not serve model {model!r} "
                    f"(models: {', '.join(served) or 'none'})",
                    url=self.url,
                    model=model,
                )
        if reply.status_code in (401, 403):
            message = (message + "; " if message else "") + "check the API key (ai_api_key_env)"
        return BackendError(
            f"AI server {self.url} answered HTTP {reply.status_code} for {what}"
            + (f": {message}" if message else ""),
            url=self.url,
            status=reply.status_code,
        )

    def _served_models(self) -> list[str] | None:
        try:
            return self.models()
        except BackendError:
            return None

    # -- the API -----------------------------------------------------------------------------
    def models(self) -> list[str]:
        """The model ids the server serves (``GET /v1/models``)."""
        data = self._request("GET", "/v1/models", "the model list")
        try:
            return [str(m["id"]) for m in data["data"]]
        except (TypeError, KeyError) as exc:
            raise BackendError(
                f"AI server {self.url} returned an unexpected model list", url=self.url
            ) from exc

    def check_model(self) -> None:
        """BackendError unless the server lists the chat model (not every server lists the
        names it accepts: llama.cpp answers to any name, so callers use this on request)."""
        served = self.models()
        if self.model not in served:
            raise BackendError(
                f"AI server {self.url} does not serve model {self.model!r} "
                f"(models: {', '.join(served) or 'none'})",
                url=self.url,
                model=self.model,
            )

    def _chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        json_mode: bool,
        max_tokens: int | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": 0,
            "stream": False,
        }
        if max_tokens or self.max_tokens:
            body["max_tokens"] = max_tokens or self.max_tokens
        if json_mode and self._json_mode:
            body["response_format"] = {"type": "json_object"}
        try:
            data = self._request("POST", "/v1/chat/completions", "a chat completion", body)
        except BackendError as exc:
            # a server that does not know response_format refuses it: ask again without
            if "response_format" in body and exc.detail.get("status") in (400, 422):
                self._json_mode = False
                return self._chat(messages, json_mode=False, max_tokens=max_tokens)
            raise
        try:
            content = data["choices"][0]["message"]["content"]
        except (TypeError, KeyError, IndexError) as exc:
            raise BackendError(
                f"AI server {self.url} returned invalid JSON for a chat completion: "
                "no choices[0].message.content",
                url=self.url,
            ) from exc
        if not isinstance(content, str):
            raise BackendError(
                f"AI server {self.url} returned invalid JSON for a chat completion: "
                "the message content is not text",
                url=self.url,
            )
        return content

    def chat_text(self, messages: list[dict[str, str]], *, max_tokens: int | None = None) -> str:
        """The model's reply (stripped) to ``messages``, at most ``max_tokens`` long (default
        the client's); BackendError for an empty one."""
        text = self._chat(messages, json_mode=False, max_tokens=max_tokens).strip()
        if not text:
            raise BackendError(
                f"AI server {self.url} (model {self.model}) returned an empty reply",
                url=self.url,
            )
        return text

    def chat_json(
        self,
        messages: list[dict[str, str]],
        *,
        schema_hint: str = "",
        check: Callable[[Any], T] | None = None,
    ) -> Any:
        """The model's reply parsed as JSON (and passed through ``check``, which raises
        ValueError for the wrong shape). A reply that is neither is asked for once more;
        the second failure is a BackendError."""
        asked = list(messages)
        problem = ""
        for attempt in (1, 2):
            content = self._chat(asked, json_mode=True)
            try:
                value = parse_json_reply(content)
                return check(value) if check is not None else value
            except ValueError as exc:
                problem = f"{exc}: {_one_line(content, 80)!r}"
                if attempt == 1:
                    asked = [
                        *messages,
                        {"role": "assistant", "content": content},
                        {
                            "role": "user",
                            "content": "That was not the JSON asked for "
                            f"({_one_line(str(exc), 100)}). Reply with the JSON only"
                            + (f", shaped like {schema_hint}" if schema_hint else "")
                            + ".",
                        },
                    ]
        raise BackendError(
            f"AI server {self.url} (model {self.model}) returned invalid JSON for "
            f"{'the ' + schema_hint if schema_hint else 'a JSON request'} twice: {problem}",
            url=self.url,
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts), dims) embeddings, rows L2-normalised; a blank text gets an
        all-zero row and is not sent. Texts go in batches of :data:`EMBED_BATCH`."""
        import numpy as np

        wanted = [i for i, text in enumerate(texts) if text and text.strip()]
        vectors: dict[int, list[float]] = {}
        for at in range(0, len(wanted), EMBED_BATCH):
            batch = wanted[at : at + EMBED_BATCH]
            body = {"model": self.embedding_model, "input": [texts[i] for i in batch]}
            data = self._request("POST", "/v1/embeddings", "embeddings", body)
            for i, vector in zip(batch, self._vectors(data, len(batch)), strict=True):
                vectors[i] = vector
        dims = len(next(iter(vectors.values()))) if vectors else 0
        out = np.zeros((len(texts), dims), dtype=np.float32)
        for i, vector in vectors.items():
            if len(vector) != dims:
                raise BackendError(
                    f"AI server {self.url} returned embeddings of different lengths",
                    url=self.url,
                )
            out[i] = vector
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _vectors(self, data: Any, n: int) -> list[list[float]]:
        try:
            items = sorted(data["data"], key=lambda d: int(d.get("index", 0)))
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise BackendError(
                f"AI server {self.url} returned invalid JSON for embeddings: "
                "no data[].embedding lists of numbers",
                url=self.url,
            ) from exc
        if len(vectors) != n or any(not v for v in vectors):
            raise BackendError(
                f"AI server {self.url} returned {len(vectors)} embeddings for {n} texts",
                url=self.url,
            )
        return vectors


def _error_text(reply: httpx.Response) -> str:
    """The server's own explanation of an HTTP error, in one short line."""
    try:
        data = reply.json()
    except ValueError:
        return _one_line(reply.text, 120)
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return _one_line(str(error), 120)
    return _one_line(json.dumps(data), 120)


def client_from_settings(
    settings: Mapping[str, Any], *, timeout: float = 60.0
) -> ServerClient | None:
    """The project's server client, or None when no ``ai_url`` is set (nothing is sent)."""
    url = settings.get("ai_url")
    if not url:
        return None
    model = settings.get("ai_model") or settings.get("ai_embedding_model")
    if not model:
        raise InputError(
            f"an AI server is configured ({url}) but no model: set ai_model", hint="ai_model"
        )
    key_env = settings.get("ai_api_key_env")
    api_key = os.environ.get(str(key_env)) if key_env else None
    if key_env and not api_key:
        raise InputError(
            f"the environment variable {key_env} (setting ai_api_key_env) holds no API key"
        )
    return ServerClient(
        str(url),
        str(model),
        api_key=api_key,
        timeout=timeout,
        embedding_model=settings.get("ai_embedding_model") or None,
    )


class ServerEmbedder:
    """The Embedder of Contract 1 backed by the server's ``/v1/embeddings``; ``info.dims`` is
    known once the server has answered (0 before)."""

    def __init__(self, client: ServerClient) -> None:
        from thematica.ai.embedders import EmbedderInfo

        self.client = client
        self.info: EmbedderInfo = EmbedderInfo(
            backend="server",
            model=client.embedding_model,
            version="served",
            dims=0,
            parameters={"url": client.url},
            provenance=f"OpenAI-compatible server at {client.url}",
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ServerEmbedder:
        """The project's server (``ai_url``, ``ai_embedding_model`` or else ``ai_model``)."""
        client = client_from_settings(settings)
        if client is None:
            raise InputError(
                "no AI server is configured (setting ai_url): nothing was sent", hint="ai_server"
            )
        return cls(client)

    def fit(self, corpus: Sequence[str]) -> None:
        """Nothing to learn: the server's model is fixed."""

    def embed(
        self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        import dataclasses

        import numpy as np

        parts: list[np.ndarray] = []
        for at in range(0, len(texts), EMBED_BATCH):
            parts.append(self.client.embed(texts[at : at + EMBED_BATCH]))
            if progress is not None:
                progress(min(at + EMBED_BATCH, len(texts)), len(texts))
        dims = max((p.shape[1] for p in parts), default=0) or self.info.dims
        if any(p.shape[1] not in (0, dims) for p in parts):
            raise BackendError(
                f"AI server {self.client.url} returned embeddings of different lengths",
                url=self.client.url,
            )
        if dims and dims != self.info.dims:
            self.info = dataclasses.replace(self.info, dims=dims)
        out = np.zeros((len(texts), dims), dtype=np.float32)
        row = 0
        for part in parts:
            if part.shape[1]:  # a batch of blank texts comes back with no columns
                out[row : row + len(part)] = part
            row += len(part)
        return out
