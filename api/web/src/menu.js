import { Checked, Cpu, DataAnalysis, Phone, Headset, HomeFilled, Iphone, Monitor, Reading, Setting, Tickets } from '@element-plus/icons-vue'

// The side menu: each entry lists the roles that see it (admin sees everything).
export const MENU = [
  { path: '/home', title: '首页', icon: HomeFilled },
  { path: '/agent', title: '坐席工作台', icon: Headset, roles: ['agent'] },
  { path: '/tickets', title: '工单工作台', icon: Tickets, roles: ['agent', 'dispatcher', 'supervisor', 'revisit_officer', 'workstation', 'unit_handler', 'unit_leader'] },
  { path: '/m', title: '移动办理', icon: Iphone, roles: ['unit_handler', 'unit_leader', 'workstation'] },
  { path: '/calls', title: '话务记录', icon: Phone, roles: ['agent', 'supervisor', 'workstation', 'qa_reviewer'] },
  { path: '/monitor', title: '班长监控', icon: Monitor, roles: ['supervisor'] },
  { path: '/reports/tickets', title: '考核指标', icon: DataAnalysis, roles: ['dispatcher', 'supervisor', 'revisit_officer', 'workstation'] },
  {
    title: '智能派单',
    icon: Cpu,
    roles: ['dispatcher', 'supervisor', 'revisit_officer'],
    children: [
      { path: '/hotspots', title: '热点问题' },
      { path: '/dispatch/models', title: '派单模型' },
    ],
  },
  {
    title: '知识库',
    icon: Reading,
    children: [
      { path: '/kb', title: '知识检索' },
      { path: '/kb/editor', title: '知识采编', roles: ['kb_editor'] },
      { path: '/kb/yellow-pages', title: '部门黄页' },
      { path: '/kb/questions', title: '知识提问' },
    ],
  },
  { path: '/qa', title: '质检复核', icon: Checked, roles: ['qa_reviewer', 'supervisor'] },
  {
    title: '系统管理',
    icon: Setting,
    roles: ['admin'],
    children: [
      { path: '/admin/tenants', title: '租户（中心/工作站）' },
      { path: '/admin/units', title: '承办单位与黄页' },
      { path: '/admin/users', title: '用户与角色' },
      { path: '/admin/skill-groups', title: '技能组' },
      { path: '/admin/ivr-menus', title: '语音导航' },
      { path: '/admin/blacklist', title: '黑名单' },
      { path: '/admin/calendars', title: '工作日历' },
      { path: '/admin/qa-rules', title: '质检规则' },
      { path: '/admin/duties', title: '权责清单' },
    ],
  },
]

export function visibleMenu(auth) {
  const ok = (item) => !item.roles || auth.has(...item.roles)
  return MENU.filter(ok)
    .map((item) => (item.children ? { ...item, children: item.children.filter(ok) } : item))
    .filter((item) => !item.children || item.children.length)
}
