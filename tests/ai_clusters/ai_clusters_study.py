"""The clusters tests' small study: two interviews whose uncoded sentences are about two topics
(housing, police), plus staffing sentences that are coded and must never be grouped; and a
loopback chat server that names groups."""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

HOUSING = [
    "The rent on my flat went up again and the landlord would not fix the damp.",
    "Our landlord wants more rent every year for a flat with broken heating.",
    "Paying the rent leaves nothing after the landlord takes his money for the flat.",
    "The flat is cold and the landlord ignores every complaint about the rent.",
    "I moved flat twice because the rent kept rising faster than my wages.",
    "A landlord can evict you from a flat with two months notice over rent arrears.",
]
POLICE = [
    "The police officers stopped me on the street outside the station.",
    "Officers from the police station searched my bag without any reason.",
    "When the police came, the officers took my friend to the station.",
    "The police officers at the station kept me waiting for hours.",
    "I was arrested by police officers and held at the station overnight.",
    "Two police officers shouted at us near the station late at night.",
]
STAFFING = [
    "The ward never has enough nurses on the night shift and staffing is short.",
    "Nurses on the ward work double shifts because staffing is so short.",
    "Staffing on the night shift is short and the nurses are exhausted.",
]
#: too short to group (fewer than four words)
SHORT = ["Yes.", "I see.", "Right, okay then."]


def interview_texts() -> dict[str, str]:
    """Two documents mixing the topics, so a group must gather sentences across documents."""
    one = [HOUSING[0], POLICE[0], STAFFING[0], SHORT[0], HOUSING[1], POLICE[1], HOUSING[2]]
    two = [POLICE[2], STAFFING[1], HOUSING[3], SHORT[1], POLICE[3], HOUSING[4], POLICE[4]]
    two += [STAFFING[2], SHORT[2], HOUSING[5], POLICE[5]]
    return {"P1": " ".join(one), "P2": " ".join(two)}


def build_study(project: object, folder: Path) -> None:
    """Documents, a Staffing code, and pi's codings of every staffing sentence."""
    p: object = project
    paths = []
    for name, text in interview_texts().items():
        path = folder / f"{name}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    p.documents.import_files(paths)  # type: ignore[attr-defined]
    p.codebook.add("Staffing")  # type: ignore[attr-defined]
    for name, text in interview_texts().items():
        for sentence in STAFFING:
            at = text.find(sentence)
            if at >= 0:
                p.coding.apply(  # type: ignore[attr-defined]
                    name, "Staffing", at, at + len(sentence), coder="pi"
                )


class ChatServer:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 (standard library HTTP server) that
    names a group from the keywords in the prompt: ``{"name": "About <first keyword>",
    "definition": "Passages on <first>, <second>."}``; mode "invalid" answers prose instead
    of JSON, every time. Requests are recorded."""

    def __init__(self) -> None:
        import http.server
        import json
        import re
        import threading

        server = self
        self.mode = "ok"
        self.requests: list[dict[str, object]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body})
                prompt = body["messages"][-1]["content"]
                first = body["messages"][1]["content"]
                found = re.search(r"Keywords of the group: (.*)", first)
                words = found.group(1).split(", ") if found else ["nothing"]
                if server.mode == "invalid":
                    content = f"The group is about {words[0]}, I think. ({len(prompt)})"
                else:
                    content = json.dumps(
                        {
                            "name": f"About {words[0]}",
                            "definition": f"Passages on {', '.join(words[:2])}.",
                        }
                    )
                answer = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True  # a kept-alive client connection does not block stop
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_cli(*args: object) -> subprocess.CompletedProcess[str]:
    """``thematica ARGS`` run in this process (as tests/cli does): exit code, stdout, stderr."""
    from thematica.cli.main import run

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
