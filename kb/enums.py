"""Knowledge-base vocabularies."""

from __future__ import annotations

import enum


class ArticleStatus(enum.StrEnum):
    draft = "draft"  # 草稿
    submitted = "submitted"  # 待审核
    reviewed = "reviewed"  # 已审核
    published = "published"  # 已上架
    unpublished = "unpublished"  # 已下架
    archived = "archived"  # 已归档


STATUS_LABELS: dict[ArticleStatus, str] = {
    ArticleStatus.draft: "草稿",
    ArticleStatus.submitted: "待审核",
    ArticleStatus.reviewed: "已审核",
    ArticleStatus.published: "已上架",
    ArticleStatus.unpublished: "已下架",
    ArticleStatus.archived: "已归档",
}


class ArticleAction(enum.StrEnum):
    submit = "submit"  # 提交审核
    approve = "approve"  # 审核通过
    reject = "reject"  # 审核退回
    publish = "publish"  # 上架
    unpublish = "unpublish"  # 下架
    expire = "expire"  # 到期自动下架
    archive = "archive"  # 归档
    revise = "revise"  # 重新编辑（回到草稿）


class Permission(enum.StrEnum):
    read = "read"
    write = "write"
    review = "review"


class HitKind(enum.StrEnum):
    view = "view"
    cite = "cite"


class QuestionStatus(enum.StrEnum):
    open = "open"  # 待答复
    answered = "answered"  # 已答复
    closed = "closed"  # 已关闭


class BaseKind(enum.StrEnum):
    unit = "unit"  # 单位知识库
    personal = "personal"  # 个人知识库
