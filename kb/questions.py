"""Knowledge questions (知识提问): an agent asks, the owning unit answers, the answer becomes an article."""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from kb import service
from kb.enums import QuestionStatus
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound, PermissionDenied
from models.kb import Question
from models.org import Role, Unit
from models.scope import Scope


def ask(
    db: Session,
    scope: Scope,
    *,
    title: str,
    unit_id: int,
    detail: str = "",
    category_id: int | None = None,
    ticket_id: int | None = None,
) -> Question:
    title = (title or "").strip()
    if not title:
        raise Invalid("问题不能为空", field="title")
    if len(title) > 200:
        raise Invalid("问题不能超过 200 字", field="title")
    if db.get(Unit, unit_id) is None:
        raise Invalid("答复单位不存在", field="unit_id")
    q = Question(
        tenant_id=scope.tenant_id,
        asker_id=scope.user_id,
        unit_id=unit_id,
        category_id=category_id,
        title=title,
        detail=detail or "",
        ticket_id=ticket_id,
        status=str(QuestionStatus.open),
    )
    db.add(q)
    db.flush()
    return q


def _can_answer(scope: Scope, q: Question) -> bool:
    if scope.has(Role.admin):
        return True
    if scope.unit_id is None:
        return scope.has(Role.kb_editor) and q.tenant_id in scope.tenant_ids
    return q.unit_id in scope.unit_ids


def _visible(scope: Scope, q: Question) -> bool:
    return (
        q.asker_id == scope.user_id
        or _can_answer(scope, q)
        or (
            scope.unit_id is None
            and q.tenant_id in scope.tenant_ids
            and scope.has(Role.supervisor, Role.kb_editor)
        )
    )


def get(db: Session, scope: Scope, question_id: int) -> Question:
    q = db.get(Question, question_id)
    if q is None or not _visible(scope, q):
        raise NotFound("提问不存在")
    return q


def list_questions(
    db: Session, scope: Scope, *, status: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[Question], int]:
    """Mine, plus those addressed to my unit (unit users) or the whole tenant (centre editors)."""
    stmt = select(Question)
    if scope.has(Role.admin) or (scope.unit_id is None and scope.has(Role.kb_editor, Role.supervisor)):
        stmt = stmt.where(Question.tenant_id.in_(scope.tenant_ids))
    elif scope.unit_id is not None:
        stmt = stmt.where(or_(Question.asker_id == scope.user_id, Question.unit_id.in_(scope.unit_ids)))
    else:
        stmt = stmt.where(Question.asker_id == scope.user_id)
    if status:
        stmt = stmt.where(Question.status == status)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Question.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def answer(db: Session, scope: Scope, question_id: int, *, answer: str) -> Question:
    q = get(db, scope, question_id)
    if not _can_answer(scope, q):
        raise PermissionDenied("只有被提问单位或知识采编可以答复")
    answer = (answer or "").strip()
    if not answer:
        raise Invalid("答复不能为空", field="answer")
    res = db.execute(
        update(Question)
        .where(Question.id == q.id, Question.status == QuestionStatus.open)
        .values(
            status=str(QuestionStatus.answered),
            answer=answer,
            answerer_id=scope.user_id,
            answered_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        raise Conflict("该提问已答复或已关闭")
    db.refresh(q)
    return q


def close(db: Session, scope: Scope, question_id: int) -> Question:
    q = get(db, scope, question_id)
    if q.asker_id != scope.user_id and not _can_answer(scope, q):
        raise PermissionDenied("无权关闭该提问")
    if q.status == QuestionStatus.closed:
        raise Conflict("该提问已关闭")
    q.status = str(QuestionStatus.closed)
    db.flush()
    return q


def to_article(
    db: Session, scope: Scope, question_id: int, *, category_id: int | None = None, title: str | None = None
):
    """One step: the answered question becomes a draft article of the answering unit."""
    q = get(db, scope, question_id)
    if q.status != QuestionStatus.answered:
        raise Conflict("只有已答复的提问可以转为知识")
    if q.article_id is not None:
        raise Conflict("该提问已转为知识", article_id=q.article_id)
    article = service.create_article(
        db,
        scope,
        title=title or q.title,
        body=q.answer,
        category_id=category_id if category_id is not None else q.category_id,
        unit_id=q.unit_id,
    )
    res = db.execute(
        update(Question)
        .where(Question.id == q.id, Question.article_id.is_(None))
        .values(article_id=article.id)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        raise Conflict("该提问已转为知识")
    db.refresh(q)
    return article
