"""`maventa-support` against a running API (uvicorn, worker, sandboxes, dev server): what an agent types,
what they see, and the exit codes a script relies on (0 done, 1 refused, 2 usage, 3 unreachable)."""

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from bench.harness import free_port
from starters.cli import app
from tests.starters.api.test_exceptions import existing_account_company
from tests.starters.test_connection_end_to_end import Stack, running_stack


async def support(stack: Stack, *args: str, stdin: str | None = None) -> Result:
    """Run the CLI as an agent would, in a thread so the API in this event loop keeps answering."""
    env = {
        "MAVENTA_API_URL": stack.api_url,
        "API_SUPPORT_TOKEN": "e2e-support-token",
        "SUPPORT_USER": "cli.agent",
        "COLUMNS": "250",
    }
    runner = CliRunner()
    return await asyncio.to_thread(lambda: runner.invoke(app, list(args), env=env, input=stdin))


async def test_support_cli_against_the_running_service(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(temporal_env, tmp_path) as stack:
        company_id, bid, keys = await existing_account_company(stack)
        key = keys["user_api_key"]

        waiting = await support(stack, "status", company_id)
        as_json = await support(stack, "--json", "status", company_id)
        listed = await support(stack, "list", "--state", "existing_account")
        without_keys = await support(stack, "send-only", company_id)
        send_only = await support(
            stack, "send-only", company_id, "--company-uuid", keys["company_uuid"], stdin=key + "\n"
        )
        nothing_to_retry = await support(stack, "retry", company_id)
        decline_refused = await support(stack, "decline", company_id)
        quarantine = await support(stack, "quarantine", "list", company_id)
        not_over = await support(stack, "billing", "2999-01")
        not_confirmed = await support(stack, "release", company_id, stdin="n\n")
        released = await support(stack, "release", company_id, "--yes")
        after = await support(stack, "status", company_id)
        unknown = await support(stack, "status", f"nobody-{uuid.uuid4().hex[:6]}")
        missing_argument = await support(stack, "status")

    assert waiting.exit_code == 0, waiting.output
    assert f"Company {company_id}" in waiting.output and "EXISTING_ACCOUNT" in waiting.output
    assert bid in waiting.output and "link it with its API keys" in waiting.output
    assert json.loads(as_json.output)["account"]["state"] == "EXISTING_ACCOUNT"
    assert listed.exit_code == 0 and company_id in listed.output

    assert without_keys.exit_code == 1 and "Send-only needs the account's keys" in without_keys.output
    assert send_only.exit_code == 0, send_only.output
    assert "DONE" in send_only.output and "SEND_ONLY" in send_only.output
    assert all(key not in result.output for result in (send_only, after)), "the key is never printed"
    assert nothing_to_retry.exit_code == 1 and "Nothing to retry" in nothing_to_retry.output
    assert decline_refused.exit_code == 1 and "release it" in decline_refused.output
    assert quarantine.exit_code == 0 and "0 quarantined invoices" in quarantine.output
    assert not_over.exit_code == 1 and "has not ended" in not_over.output

    assert not_confirmed.exit_code == 0 and "Nothing was done" in not_confirmed.output
    assert released.exit_code == 0 and "RELEASED" in released.output
    assert after.exit_code == 0 and "RELEASED" in after.output
    assert "cli.agent" in after.output and "SEND_ONLY" in after.output, "who released it and from what"
    assert unknown.exit_code == 1 and "is not known here" in unknown.output
    assert missing_argument.exit_code == 2


async def test_the_installed_command_explains_an_unreachable_api_and_a_missing_token() -> None:
    command = Path(sys.executable).with_name("maventa-support")
    env = {**os.environ, "MAVENTA_API_URL": f"http://127.0.0.1:{free_port()}", "API_SUPPORT_TOKEN": "t"}
    unreachable = await asyncio.create_subprocess_exec(
        command, "status", "c1", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, unreachable_err = await unreachable.communicate()
    env.pop("API_SUPPORT_TOKEN")
    no_token = await asyncio.create_subprocess_exec(
        command, "list", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, no_token_err = await no_token.communicate()

    assert unreachable.returncode == 3 and b"connection refused" in unreachable_err
    assert b"make run" in unreachable_err
    assert no_token.returncode == 2 and b"API_SUPPORT_TOKEN" in no_token_err
