"""What each action takes (validated input, also what the timeline records).

Pydantic models shared by the service (which validates plain keyword arguments with them)
and the router (which uses them as request bodies, so OpenAPI shows each action's fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tickets.enums import AppealType, Channel, RevisitResult, Urgency

Note = Field(default=None, max_length=2000, description="备注")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Note
    attachment_ids: list[int] = Field(default_factory=list, description="已上传附件的 id")


class ReasonIn(ActionIn):
    """Actions that must say why (reject, return, withdraw …)."""

    note: str = Field(min_length=1, max_length=2000, description="理由")


class TicketIn(BaseModel):
    """受理工单."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel = Field(description="来源渠道")
    call_id: str | None = Field(default=None, max_length=64, description="电话渠道关联的通话 id")
    external_id: str | None = Field(default=None, max_length=64, description="自治区平台工单编号")
    citizen_name: str | None = Field(default=None, max_length=64, description="诉求人姓名")
    citizen_phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\-]{3,32}$")
    appeal_type: AppealType = Field(description="诉求类型：咨询/求助/投诉/举报/建议/表扬")
    urgency: Urgency = Urgency.normal
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=20000)
    address: str | None = Field(default=None, max_length=255)
    district: str | None = Field(default=None, max_length=50, description="县区，如 青秀区")
    category: str | None = Field(default=None, max_length=100, description="业务分类，决定办理时限")
    confidential: bool = Field(default=False, description="保密：对承办单位隐藏诉求人身份")
    attachment_ids: list[int] = Field(default_factory=list)
    article_ids: list[int] = Field(default_factory=list, description="引用的知识文章 id")
    tenant_id: int | None = Field(default=None, description="受理租户，默认为本人所在租户")
    sign_deadline: datetime | None = Field(
        default=None, description="自治区转派工单的签收时限（不填则按紧急程度计算）"
    )


class ReplyIn(ActionIn):
    reply: str = Field(min_length=1, max_length=20000, description="直接答复内容")
    article_ids: list[int] = Field(default_factory=list, description="引用的知识文章 id")


class DispatchIn(ActionIn):
    lead_unit_id: int | None = Field(default=None, description="主办单位")
    workstation_id: int | None = Field(default=None, description="交办到工作站（租户 id），与主办单位二选一")
    assist_unit_ids: list[int] = Field(default_factory=list, description="协办单位")
    deadline: datetime | None = Field(default=None, description="办理时限，不填按分类计算")
    instructions: str | None = Field(default=None, max_length=2000, description="交办意见")
    model_version: str | None = Field(default=None, max_length=64, description="智能派单模型版本")
    confidence: float | None = Field(default=None, ge=0, le=1, description="智能派单置信度")


class ExtensionRequestIn(ReasonIn):
    until: datetime = Field(description="申请延期至")


class ExtensionApproveIn(ActionIn):
    until: datetime | None = Field(default=None, description="批准延期至，不填按申请")


class ForwardIn(ReasonIn):
    unit_id: int = Field(description="转交给的单位")


class CollaborateIn(ActionIn):
    unit_ids: list[int] = Field(min_length=1, description="协同单位（通常为下级单位）")
    deadline: datetime = Field(description="协同办理时限")
    instructions: str = Field(min_length=1, max_length=2000, description="协同要求")


class AnswerIn(ActionIn):
    content: str = Field(min_length=1, max_length=20000, description="答复内容")
    handler_name: str = Field(min_length=1, max_length=64, description="办理人")
    handled_at: datetime = Field(description="办理时间")
    method: str = Field(min_length=1, max_length=100, description="办理方式，如 现场核查、电话联系")
    contacted_citizen: bool = Field(default=True, description="是否已联系诉求人")


class ReviewAnswerIn(ActionIn):
    result: Literal["accept", "send_back"] = Field(description="accept 通过 / send_back 退回重办")


class RevisitIn(ActionIn):
    result: RevisitResult = Field(
        description="satisfied 满意 / basically_satisfied 基本满意 / unsatisfied 不满意"
    )
    citizen_words: str = Field(min_length=1, max_length=2000, description="群众原话")
    method: Literal["phone", "sms", "wechat", "onsite"] = "phone"


class SupplementIn(ActionIn):
    content: str = Field(min_length=1, max_length=5000, description="补充内容")


class SuperviseIn(ReasonIn):
    deadline: datetime = Field(description="督办后的新办理时限")


class BatchAnswerIn(AnswerIn):
    ticket_ids: list[int] = Field(min_length=1, max_length=200)
