export const ROLE_LABELS = {
  agent: '话务员',
  dispatcher: '工单员',
  supervisor: '班长',
  qa_reviewer: '质检员',
  revisit_officer: '督办专员',
  unit_handler: '承办人',
  unit_leader: '部门领导',
  workstation: '工作站',
  kb_editor: '知识采编',
  admin: '管理员',
}
export const ROLE_OPTIONS = Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))
export const UNIT_ROLES = ['unit_handler', 'unit_leader']
export const CENTRE_ROLES = ['agent', 'dispatcher', 'supervisor', 'qa_reviewer', 'revisit_officer', 'workstation', 'kb_editor']

export const UNIT_KINDS = {
  city_unit: '市直成员单位',
  district_government: '县区政府/开发区',
  sub_unit: '下属单位',
  enterprise: '公共服务企业',
}
