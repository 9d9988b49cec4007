"""智能辅助 API: live knowledge suggestions and the intelligent Q&A (智能问答)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from api.deps import DB, CurrentScope
from api.kb_index import kb_index, refresh
from api.routers.kb import SearchHit
from api.schemas import PROBLEM_RESPONSES
from kb import retrieval
from kb.search.index import KBIndex

router = APIRouter(prefix="/api", tags=["智能辅助"], responses=PROBLEM_RESPONSES)
Index = Annotated[KBIndex, Depends(kb_index)]


class SuggestIn(BaseModel):
    transcript: str | None = Field(default=None, max_length=20_000, description="通话转写的最近窗口")
    title: str | None = Field(default=None, max_length=200, description="工单草稿标题")
    content: str | None = Field(default=None, max_length=20_000, description="工单草稿内容")
    k: int = Field(default=5, ge=1, le=20)
    district: str | None = None
    category_id: int | None = None

    @model_validator(mode="after")
    def _some_text(self):
        if not any((t or "").strip() for t in (self.transcript, self.title, self.content)):
            raise ValueError("transcript、title、content 至少填写一项")
        return self


class SuggestOut(BaseModel):
    items: list[SearchHit]


class QAIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    district: str | None = None
    category_id: int | None = None


class QASource(BaseModel):
    article_id: int
    title: str
    passage: str


class QAThreshold(BaseModel):
    cosine: float
    margin: float


class QAOut(BaseModel):
    answered: bool
    answer: str
    confidence: float
    margin: float
    threshold: QAThreshold
    source: QASource | None
    related: list[dict[str, Any]]


@router.post(
    "/assist/suggest",
    summary="实时知识推荐：根据通话转写窗口或工单草稿返回最相关的知识及匹配段落",
    response_model=SuggestOut,
)
def suggest(body: SuggestIn, db: DB, scope: CurrentScope, index: Index):
    text = "\n".join(t for t in (body.title, body.content, body.transcript) if t)
    refresh(index, db)
    items = retrieval.suggest(
        db, scope, index, text, k=body.k, district=body.district, category_id=body.category_id
    )
    return {"items": [r.as_dict() for r in items]}


@router.post(
    "/assist/qa",
    summary="智能问答：从已上架知识中作答并注明出处；把握不足时明确回答不知道",
    response_model=QAOut,
)
def qa(body: QAIn, db: DB, scope: CurrentScope, index: Index):
    refresh(index, db)
    return retrieval.answer(
        db, scope, index, body.question, district=body.district, category_id=body.category_id
    )
