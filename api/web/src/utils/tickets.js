// Ticket vocabulary (labels) and the form each workflow action asks for.
export const STATE_LABELS = {
  accepted: '已受理',
  pending_review: '待审核',
  to_dispatch: '待交办',
  to_sign: '待签收',
  handling: '办理中',
  return_requested: '退回申请中',
  extension_requested: '延期申请中',
  answered: '已答复',
  to_revisit: '待回访',
  to_close: '待办结',
  closed: '已办结',
  withdrawn: '已撤单',
}
export const STATE_TAG = {
  accepted: 'info', pending_review: 'warning', to_dispatch: 'warning', to_sign: 'danger', handling: 'primary',
  return_requested: 'warning', extension_requested: 'warning', answered: 'success', to_revisit: 'success',
  to_close: 'success', closed: 'info', withdrawn: 'info',
}
export const APPEAL_TYPES = { consultation: '咨询', help: '求助', complaint: '投诉', report: '举报', suggestion: '建议', praise: '表扬' }
export const CHANNELS = { phone: '电话', wechat: '微信', web: '网站', app: '移动应用', regional: '自治区平台' }
export const URGENCY = { normal: '一般', urgent: '紧急' }
export const REVISIT_RESULTS = { satisfied: '满意', basically_satisfied: '基本满意', unsatisfied: '不满意' }
export const ASSIGNMENT_KINDS = { lead: '主办', assist: '协办', collaborator: '协同' }
export const INBOXES = {
  to_dispatch: '待交办',
  to_sign: '待签收',
  in_progress: '办理中',
  answered: '已答复',
  overdue: '已超期',
  followed: '我关注的',
}
export const ACTION_LABELS = {
  accept: '受理',
  reply: '直接答复',
  'submit-review': '送审核',
  approve: '审核通过',
  reject: '审核退回',
  dispatch: '交办',
  sign: '签收',
  'return-request': '申请退回',
  'return-approve': '同意退回',
  'return-reject': '不同意退回',
  'extension-request': '申请延期',
  'extension-approve': '同意延期',
  'extension-reject': '不同意延期',
  forward: '转交',
  collaborate: '工单协同',
  answer: '答复',
  'review-answer': '审核答复',
  revisit: '回访',
  close: '办结',
  urge: '催单',
  supplement: '补单',
  withdraw: '撤单',
  follow: '关注',
  unfollow: '取消关注',
  supervise: '督办',
}
// Primary actions get a filled button; the rest are plain.
export const PRIMARY_ACTIONS = new Set(['sign', 'answer', 'dispatch', 'reply', 'approve', 'revisit', 'close', 'review-answer'])
// Actions that need no form beyond an optional note run after a confirmation.
export const QUICK_ACTIONS = new Set(['follow', 'unfollow'])

/**
 * Each action's fields: {key, label, type, required, options}. Types: text, textarea, unit, units, datetime,
 * switch, select, workstation. Every form also has attachments and (unless noted) a note.
 */
const reason = (label = '理由') => [{ key: 'note', label, type: 'textarea', required: true }]
const note = [{ key: 'note', label: '备注', type: 'textarea' }]
export const ACTION_FORMS = {
  reply: [{ key: 'reply', label: '答复内容', type: 'textarea', required: true, rows: 5 }, ...note],
  'submit-review': note,
  approve: note,
  reject: reason('退回理由'),
  dispatch: [
    { key: 'lead_unit_id', label: '主办单位', type: 'unit' },
    { key: 'workstation_id', label: '或交办工作站', type: 'workstation' },
    { key: 'assist_unit_ids', label: '协办单位', type: 'units' },
    { key: 'deadline', label: '办理时限', type: 'datetime', placeholder: '不填按分类计算' },
    { key: 'instructions', label: '交办意见', type: 'textarea' },
  ],
  sign: note,
  'return-request': reason('退回理由'),
  'return-approve': note,
  'return-reject': reason(),
  'extension-request': [{ key: 'until', label: '延期至', type: 'datetime', required: true }, ...reason('延期理由')],
  'extension-approve': [{ key: 'until', label: '批准延期至', type: 'datetime', placeholder: '不填按申请' }, ...note],
  'extension-reject': reason(),
  forward: [{ key: 'unit_id', label: '转交给', type: 'unit', required: true }, ...reason('转交理由')],
  collaborate: [
    { key: 'unit_ids', label: '协同单位', type: 'units', required: true },
    { key: 'deadline', label: '协同时限', type: 'datetime', required: true },
    { key: 'instructions', label: '协同要求', type: 'textarea', required: true },
  ],
  answer: [
    { key: 'content', label: '答复内容', type: 'textarea', required: true, rows: 5 },
    { key: 'method', label: '办理方式', type: 'select', required: true, allowCreate: true, options: ['现场核查', '电话联系', '书面答复', '约谈当事人', '联合执法'] },
    { key: 'handler_name', label: '办理人', type: 'text', required: true, defaultMe: true },
    { key: 'handled_at', label: '办理时间', type: 'datetime', required: true, defaultNow: true },
    { key: 'contacted_citizen', label: '已联系诉求人', type: 'switch', default: true },
    ...note,
  ],
  'review-answer': [
    { key: 'result', label: '审核结果', type: 'radio', required: true, options: { accept: '通过', send_back: '退回重办' } },
    ...note,
  ],
  revisit: [
    { key: 'result', label: '回访结果', type: 'radio', required: true, options: REVISIT_RESULTS },
    { key: 'citizen_words', label: '群众原话', type: 'textarea', required: true },
    { key: 'method', label: '回访方式', type: 'select', options: { phone: '电话回访', sms: '短信回访', wechat: '微信回访', onsite: '上门回访' }, default: 'phone' },
    ...note,
  ],
  close: note,
  urge: [{ key: 'note', label: '催办说明', type: 'textarea' }],
  supplement: [{ key: 'content', label: '补充内容', type: 'textarea', required: true }, ...note],
  withdraw: reason('撤单理由'),
  follow: [],
  unfollow: [],
  supervise: [{ key: 'deadline', label: '新办理时限', type: 'datetime', required: true }, ...reason('督办意见')],
}
