"""Every action is answered once (§3.1): an update repeated with the same id gets its first answer again.

Temporal deduplicates an update id only within one run; the action log in the workflow's state is carried
across continue-as-new, so a retried HTTP call with the same `Idempotency-Key` is not acted on twice however
long the company's history is. `@action(refused_by=...)` makes an update of a handler: its validator refuses
by the given rule unless the id was answered before, and the handler acts once per id, its answer logged.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.connection_models import ActionAnswer, ActionRecord, ActionRequest
from workflows.connection_policy import Standing

ACTIONS_KEPT = 50
REFUSED = "ActionRefused"
"""The error type of a refused update; the starters translate it into a 409 with the reason."""

RequestT = TypeVar("RequestT", bound=ActionRequest)


class KeepsActions(Protocol):
    @property
    def actions(self) -> list[ActionRecord]: ...


class Acts(KeepsActions, Protocol):
    @property
    def standing(self) -> Standing: ...


HolderT = TypeVar("HolderT", bound=KeepsActions)
ActorT = TypeVar("ActorT", bound=Acts)


def earlier_answer(actions: list[ActionRecord]) -> ActionAnswer | None:
    """The recorded answer to the current update's id, if it was answered before."""
    info = workflow.current_update_info()
    if info is None:
        return None
    return next((record.answer for record in actions if record.update_id == info.id), None)


def record(actions: list[ActionRecord], action: str, request: ActionRequest, answer: ActionAnswer) -> None:
    info = workflow.current_update_info()
    assert info is not None
    actions.append(
        ActionRecord(
            update_id=info.id,
            action=action,
            requested_by=request.requested_by,
            at=workflow.now(),
            answer=answer,
        )
    )
    del actions[:-ACTIONS_KEPT]
    workflow.logger.info("%s asked by %s: %s", action, request.requested_by, answer.outcome.value)


def answered_once(
    handler: Callable[[HolderT, RequestT], Awaitable[ActionAnswer]],
) -> Callable[[HolderT, RequestT], Awaitable[ActionAnswer]]:
    """The update handler acts only the first time its id is seen; its answer is logged under the id."""

    @functools.wraps(handler)
    async def once(holder: HolderT, request: RequestT) -> ActionAnswer:
        if (earlier := earlier_answer(holder.actions)) is not None:
            return earlier
        answer = await handler(holder, request)
        record(holder.actions, handler.__name__, request, answer)
        return answer

    return once


def refuse_unless_answered(holder: KeepsActions, reason: str | None) -> None:
    """A validator's refusal: the update is rejected with the reason and changes nothing, unless its id was
    answered before (then the handler repeats that answer)."""
    if reason is not None and earlier_answer(holder.actions) is None:
        raise ApplicationError(reason, type=REFUSED, non_retryable=True)


def action(
    refused_by: Callable[[Standing, RequestT], str | None],
) -> Callable[
    [Callable[[ActorT, RequestT], Awaitable[ActionAnswer]]],
    workflow.UpdateMethodMultiParam[[ActorT, RequestT], ActionAnswer],
]:
    """An update named after its handler (the name its histories know), refused by its validator when
    `refused_by` gives a reason for the workflow's standing, and acted on once per update id."""

    def register(
        handler: Callable[[ActorT, RequestT], Awaitable[ActionAnswer]],
    ) -> workflow.UpdateMethodMultiParam[[ActorT, RequestT], ActionAnswer]:
        update = workflow.update(answered_once(handler))

        def validate(actor: ActorT, request: RequestT) -> None:
            refuse_unless_answered(actor, refused_by(actor.standing, request))

        # Temporal holds a validator to its handler's parameters, annotations included.
        functools.update_wrapper(validate, handler, assigned=(), updated=())
        update.validator(validate)
        return update

    return register
