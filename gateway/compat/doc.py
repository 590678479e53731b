"""The README's compatibility section and docs/setup.md, rendered from the policy tables and the client matrix."""

from __future__ import annotations

from gateway.compat import chat, clients, messages, responses

START, END = "<!-- compat:start -->", "<!-- compat:end -->"
APIS = (chat, responses, messages)
EXAMPLE_ROOT = "https://gateway.example.com"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def policy_tables() -> str:
    parts = []
    for api in APIS:
        rows = ["| Client sends | Gateway | How, or why | Sent by default by |", "|---|---|---|---|"]
        rows += [
            f"| `{_cell(p.name)}` | {p.treatment} | {_cell(p.how)} | {_cell(p.clients) or ''} |" for p in api.TABLE
        ]
        parts.append(f"#### {api.TITLE}\n\n" + "\n".join(rows))
    return "\n\n".join(parts)


def client_matrix() -> str:
    rows = [
        "| Tool | Versions tested | API | " + " | ".join(clients.FEATURES) + " | Set up |",
        "|---|---|---|" + "---|" * len(clients.FEATURES) + "---|",
    ]
    for client in clients.CLIENTS:
        # Only what the end-to-end tests run is claimed to work; the others are set up the same way, untested here.
        cells = [client.features.get(name, "-") if client.versions else "untested" for name in clients.FEATURES]
        features = " | ".join(cells)
        rows.append(
            f"| {client.title} | {_cell(client.versions) or 'not run here'} | {client.api} | {features} | "
            f"{_cell(client.how)} |"
        )
    return "\n".join(rows)


def client_setups() -> str:
    parts = []
    for client in clients.CLIENTS:
        text = client.text(root=EXAMPLE_ROOT, key="<token>", model=client.example_model)
        parts.append(f"**{client.title}**: {client.how}\n\n```{client.language}\n{text.rstrip()}\n```")
    return "\n\n".join(parts)


def setup_doc() -> str:
    """docs/setup.md: each tool's setup, as the portal shows it (with the key and address filled in there)."""
    return (
        "\n\n".join(
            [
                "# Setting up each tool",
                "Generated from `gateway/compat/clients.py` (`python manage.py compat_doc`): the texts the portal's "
                "*My keys* page shows with your key and the gateway's address filled in, and the ones the end-to-end "
                "tests configure each tool with. `https://gateway.example.com` stands for your gateway.",
                client_setups(),
            ]
        )
        + "\n"
    )


def compat_section() -> str:
    """The text between the README's compat markers."""
    return "\n\n".join(
        [
            "### Tools and the versions tested",
            client_matrix(),
            "How to set up each one, as the portal shows it: [docs/setup.md](docs/setup.md).",
            "### What the gateway does with what clients send",
            "Each field, item, tool type and header a current client sends is honoured, adapted, dropped or "
            "refused. What was adapted or dropped for a request is named (never its value) in the response "
            "header `x-sbc-adapted`, in the usage record's `adapted` column and in the `response` event's "
            "`adapted` list, so an admin can see why an answer differs.",
            "Fields that carry conversation state are never dropped: dropping one would answer a conversation "
            "the model never saw whole. `previous_response_id`, `conversation`, `item_reference`, reasoning items "
            "sent back by id, and Anthropic's `thread` are served from what the gateway keeps per identity; "
            "`context_management` compaction on the Responses API is honoured; `container` and `mcp_servers` "
            "(state and tools only Anthropic's servers hold) are refused, and a thread the gateway cannot keep is "
            "`thread_unsupported_request`, after which Anthropic's SDK sends the conversation whole. Only fields "
            "that cannot carry state are dropped and named, which is what keeps new client releases working.",
            policy_tables(),
        ]
    )


def readme_with_section(readme: str) -> str:
    """`readme` with the text between the markers replaced by `compat_section()`."""
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{compat_section()}\n{END}{tail}"
