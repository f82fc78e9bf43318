"""How the CLI shows things: a panel for one company, tables for lists, one line for an action's answer."""

from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

STATE_STYLES = {
    "CONNECTED": "green",
    "RECEIVING": "cyan",
    "ACTIVE": "cyan",
    "LINKED": "green",
    "SEND_ONLY": "yellow",
    "NOT_LINKED": "yellow",
    "EXISTING_ACCOUNT": "yellow",
    "NEEDS_SUPPORT": "bold red",
    "RELEASED": "dim",
}
OUTCOME_STYLES = {"DONE": "green", "IN_PROGRESS": "yellow", "FAILED": "bold red"}
RECENT_ACTIONS_SHOWN = 5


def state_text(state: str) -> Text:
    return Text(state, style=STATE_STYLES.get(state, ""))


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] + " UTC" if value else "—"


def _fields(rows: Iterable[tuple[str, RenderableType | str | None]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in rows:
        grid.add_row(name, value if value not in (None, "") else "—")
    return grid


def company_panel(status: dict[str, Any]) -> Panel:
    """The account view of one company, or what releasing it did."""
    released = status.get("released")
    if released:
        return Panel(
            _fields(
                [
                    ("State", state_text("RELEASED")),
                    ("Business id", released["business_id"]),
                    ("Name", released["name"]),
                    ("Released", f"{_when(released['released_at'])} by {released['requested_by']}"),
                    ("State before", released["state_before"]),
                    ("Maventa company", released["maventa_company_id"]),
                    ("Vendor link removed", "yes" if released["vendor_unlinked"] else "there was none"),
                    ("Keys deleted", str(released["secrets_deleted"])),
                    ("Summary", released["message"]),
                ]
            ),
            title=f"Company {status['company_id']}",
        )
    view = status["account"]
    state = state_text(view["state"])
    if view["state"] != view["lifecycle_state"]:
        state.append(f"  (lifecycle {view['lifecycle_state']})", style="dim")
    networks = ", ".join(f"{name} {value}" for name, value in view["networks"].items() if value) or None
    bank = view["bank_network"]
    bank_text = None
    if bank["requested_at"]:
        bank_text = f"requested {_when(bank['requested_at'])}, deadline {_when(bank['deadline'])}"
        bank_text += f", confirmed {_when(bank['confirmed_at'])}" if bank["confirmed_at"] else ""
        bank_text += " — OVERDUE" if bank["overdue"] else ""
    import_text = view["import_mode"] + (f" from {_when(view['import_from'])}" if view["import_from"] else "")
    fields = _fields(
        [
            ("State", state),
            (
                "Needs support",
                Text(view["needs_support_reason"], style="red") if view["needs_support"] else "no",
            ),
            ("Business id", view["business_id"]),
            ("Name", view["name"]),
            ("Maventa company", view["maventa_company_id"]),
            (
                "E-invoice address",
                f"{view['einvoice_address']} via {view['operator']}" if view["operator"] else None,
            ),
            ("Networks", networks),
            ("Scan address", view["scan_address"]),
            ("Bank network", bank_text),
            ("Import", import_text),
            ("Sending", "allocated" if view["sending_allocated"] else "not allocated"),
            ("API key", view["api_key_masked"]),
            ("Next step", view["next_step"]),
        ]
    )
    parts: list[RenderableType] = [fields]
    actions = view["recent_actions"][-RECENT_ACTIONS_SHOWN:]
    if actions:
        table = Table(title="Recent actions", title_justify="left", expand=True)
        for column in ("at", "action", "asked by", "outcome", "answer"):
            table.add_column(column)
        for action in actions:
            answer = action["answer"]
            table.add_row(
                _when(action["at"]),
                action["action"],
                action["requested_by"],
                Text(answer["outcome"], style=OUTCOME_STYLES.get(answer["outcome"], "")),
                answer["message"],
            )
        parts.append(table)
    return Panel(Group(*parts), title=f"Company {status['company_id']}")


def companies_page(page: dict[str, Any]) -> Group:
    """A page of companies as a table, and how to ask for the next page when there is one."""
    companies = page["companies"]
    more = page["next_after"] is not None
    title = f"{len(companies)} companies" + (" (more on the next page)" if more else "")
    table = Table(title=title, title_justify="left")
    for column in (
        "company",
        "business id",
        "name",
        "state",
        "maventa company",
        "import",
        "needs support",
        "updated",
    ):
        table.add_column(column)
    for row in companies:
        table.add_row(
            row["company_id"],
            row["business_id"],
            row["name"],
            state_text(row["state"]),
            row.get("maventa_company_id") or "",
            row["import_mode"],
            Text(row["needs_support_reason"] or "yes", style="red") if row["needs_support"] else "",
            _when(row["updated_at"]),
        )
    if not more:
        return Group(table)
    return Group(table, Text(f"Next page: the same command with --after {page['next_after']}"))


def quarantine_table(invoices: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(invoices)} quarantined invoices", title_justify="left")
    for column in ("invoice", "number", "channel", "received", "attempts", "reason"):
        table.add_column(column)
    for row in invoices:
        table.add_row(
            row["id"],
            row.get("number") or "",
            row.get("channel") or "",
            _when(row.get("received_at")),
            str(row.get("attempts", "")),
            Text(row.get("reason") or "", style="red"),
        )
    return table


def answer_line(answer: dict[str, Any]) -> Text:
    """An action's answer: outcome, the state it left, and the workflow's message."""
    outcome = str(answer.get("outcome", "DONE"))
    line = Text(outcome, style=OUTCOME_STYLES.get(outcome, ""))
    if "state" in answer:
        line.append(" · ")
        line.append_text(state_text(str(answer["state"])))
    if answer.get("message"):
        line.append(f" · {answer['message']}")
    return line
