"""Ticket vocabulary: channels, appeal types, states, actions (glossary names)."""

from __future__ import annotations

import enum


class Channel(enum.StrEnum):
    phone = "phone"  # 电话（关联通话 call id）
    wechat = "wechat"  # 微信
    web = "web"  # 网站
    app = "app"  # 移动应用
    regional = "regional"  # 自治区平台转派


class AppealType(enum.StrEnum):
    consultation = "consultation"  # 咨询
    help = "help"  # 求助
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    suggestion = "suggestion"  # 建议
    praise = "praise"  # 表扬


class Urgency(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"


class TicketState(enum.StrEnum):
    accepted = "accepted"  # 已受理（中心待处理）
    pending_review = "pending_review"  # 待审核
    to_dispatch = "to_dispatch"  # 待交办
    to_sign = "to_sign"  # 待签收
    handling = "handling"  # 办理中
    return_requested = "return_requested"  # 退回申请中
    extension_requested = "extension_requested"  # 延期申请中
    answered = "answered"  # 已答复（待审核答复）
    to_revisit = "to_revisit"  # 待回访
    to_close = "to_close"  # 待办结
    closed = "closed"  # 已办结
    withdrawn = "withdrawn"  # 已撤单


class Action(enum.StrEnum):
    reply = "reply"  # 直接答复
    submit_review = "submit-review"  # 送审核
    approve = "approve"  # 审核通过
    reject = "reject"  # 审核不通过
    dispatch = "dispatch"  # 交办 / 转派
    sign = "sign"  # 签收
    return_request = "return-request"  # 申请退回
    return_approve = "return-approve"  # 同意退回
    return_reject = "return-reject"  # 不同意退回
    extension_request = "extension-request"  # 申请延期
    extension_approve = "extension-approve"
    extension_reject = "extension-reject"
    forward = "forward"  # 转交
    collaborate = "collaborate"  # 工单协同
    answer = "answer"  # 承办单位答复
    review_answer = "review-answer"  # 审核答复
    revisit = "revisit"  # 回访
    close = "close"  # 办结
    urge = "urge"  # 催单
    supplement = "supplement"  # 补单
    withdraw = "withdraw"  # 撤单
    follow = "follow"  # 关注
    unfollow = "unfollow"
    supervise = "supervise"  # 督办


class AssignmentKind(enum.StrEnum):
    lead = "lead"  # 主办
    assist = "assist"  # 协办
    collaborator = "collaborator"  # 协同（下级单位）


class WarningColour(enum.StrEnum):  # 红黄灯预警
    none = "none"
    yellow = "yellow"
    red = "red"


class RevisitResult(enum.StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意


OPEN_STATES = frozenset(TicketState) - {TicketState.closed, TicketState.withdrawn}

STATE_LABELS = {
    TicketState.accepted: "已受理",
    TicketState.pending_review: "待审核",
    TicketState.to_dispatch: "待交办",
    TicketState.to_sign: "待签收",
    TicketState.handling: "办理中",
    TicketState.return_requested: "退回申请中",
    TicketState.extension_requested: "延期申请中",
    TicketState.answered: "已答复待审核",
    TicketState.to_revisit: "待回访",
    TicketState.to_close: "待办结",
    TicketState.closed: "已办结",
    TicketState.withdrawn: "已撤单",
}

APPEAL_TYPE_LABELS = {
    AppealType.consultation: "咨询",
    AppealType.help: "求助",
    AppealType.complaint: "投诉",
    AppealType.report: "举报",
    AppealType.suggestion: "建议",
    AppealType.praise: "表扬",
}

ACTION_LABELS = {
    Action.reply: "直接答复",
    Action.submit_review: "送审核",
    Action.approve: "审核通过",
    Action.reject: "审核退回",
    Action.dispatch: "交办",
    Action.sign: "签收",
    Action.return_request: "申请退回",
    Action.return_approve: "同意退回",
    Action.return_reject: "不同意退回",
    Action.extension_request: "申请延期",
    Action.extension_approve: "同意延期",
    Action.extension_reject: "不同意延期",
    Action.forward: "转交",
    Action.collaborate: "工单协同",
    Action.answer: "答复",
    Action.review_answer: "审核答复",
    Action.revisit: "回访",
    Action.close: "办结",
    Action.urge: "催单",
    Action.supplement: "补单",
    Action.withdraw: "撤单",
    Action.follow: "关注",
    Action.unfollow: "取消关注",
    Action.supervise: "督办",
}
