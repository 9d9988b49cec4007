"""The article lifecycle as a transition table: (status, action) → (new status, who may do it)."""

from __future__ import annotations

from dataclasses import dataclass

from kb.enums import ArticleAction as A
from kb.enums import ArticleStatus as S
from kb.enums import Permission as P


@dataclass(frozen=True)
class Transition:
    to: S
    needs: P | None  # permission on the article's category branch; None: the system (beat) only
    label: str


TRANSITIONS: dict[tuple[S, A], Transition] = {
    (S.draft, A.submit): Transition(S.submitted, P.write, "提交审核"),
    (S.submitted, A.approve): Transition(S.reviewed, P.review, "审核通过"),
    (S.submitted, A.reject): Transition(S.draft, P.review, "审核退回"),
    (S.reviewed, A.reject): Transition(S.draft, P.review, "审核退回"),
    (S.reviewed, A.publish): Transition(S.published, P.review, "上架"),
    (S.published, A.unpublish): Transition(S.unpublished, P.review, "下架"),
    (S.published, A.expire): Transition(S.unpublished, None, "到期自动下架"),
    (S.unpublished, A.publish): Transition(S.published, P.review, "重新上架"),
    (S.published, A.archive): Transition(S.archived, P.review, "归档"),
    (S.unpublished, A.archive): Transition(S.archived, P.review, "归档"),
    (S.draft, A.archive): Transition(S.archived, P.write, "归档"),
    (S.unpublished, A.revise): Transition(S.draft, P.write, "重新编辑"),
}

# Editing content is allowed in these states; editing a published article sends it back to review
# would hide it from agents, so published edits stay published but are versioned and re-embedded.
EDITABLE = frozenset({S.draft, S.submitted, S.reviewed, S.published, S.unpublished})


def next_status(status: str, action: str) -> Transition | None:
    try:
        return TRANSITIONS.get((S(status), A(action)))
    except ValueError:
        return None


def allowed_actions(status: str) -> list[str]:
    return [str(a) for (s, a), t in TRANSITIONS.items() if s == status and t.needs is not None]
