import { createRouter, createWebHistory } from 'vue-router'
import { useAuth } from './stores/auth'

const Desk = () => import('./layouts/DeskLayout.vue')
const Mobile = () => import('./layouts/MobileLayout.vue')

const routes = [
  { path: '/wallboard', component: () => import('./views/supervisor/Wallboard.vue'), meta: { title: '实时大屏', roles: ['supervisor'] } },
  { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: Desk,
    children: [
      { path: '', redirect: () => '/home' },
      { path: 'home', component: () => import('./views/Home.vue'), meta: { title: '首页' } },
      { path: 'agent', component: () => import('./views/agent/AgentDesk.vue'), meta: { title: '坐席工作台', roles: ['agent'] } },
      { path: 'tickets', component: () => import('./views/tickets/Workbench.vue'), meta: { title: '工单工作台' } },
      { path: 'tickets/:id', component: () => import('./views/tickets/TicketDetail.vue'), meta: { title: '工单详情' } },
      { path: 'reports/tickets', component: () => import('./views/reports/TicketKpis.vue'), meta: { title: '工单考核指标', roles: ['dispatcher', 'supervisor', 'revisit_officer', 'workstation'] } },
      { path: 'calls', component: () => import('./views/calls/CallRecords.vue'), meta: { title: '话务记录', roles: ['agent', 'supervisor', 'workstation', 'qa_reviewer'] } },
      { path: 'dispatch/models', component: () => import('./views/dispatch/Models.vue'), meta: { title: '派单模型', roles: ['dispatcher', 'supervisor', 'revisit_officer'] } },
      { path: 'hotspots', component: () => import('./views/hotspots/Hotspots.vue'), meta: { title: '热点问题', roles: ['dispatcher', 'supervisor', 'revisit_officer'] } },
      { path: 'monitor', component: () => import('./views/supervisor/Monitor.vue'), meta: { title: '班长监控', roles: ['supervisor'] } },
      { path: 'kb', component: () => import('./views/kb/Portal.vue'), meta: { title: '知识检索' } },
      { path: 'kb/articles/:id', component: () => import('./views/kb/Article.vue'), meta: { title: '知识详情' } },
      { path: 'kb/editor', component: () => import('./views/kb/Editor.vue'), meta: { title: '知识采编', roles: ['kb_editor'] } },
      { path: 'kb/yellow-pages', component: () => import('./views/kb/YellowPages.vue'), meta: { title: '部门黄页' } },
      { path: 'kb/questions', component: () => import('./views/kb/Questions.vue'), meta: { title: '知识提问' } },
      { path: 'qa', component: () => import('./views/qa/Reviews.vue'), meta: { title: '质检复核', roles: ['qa_reviewer', 'supervisor'] } },
      { path: 'qa/:id', component: () => import('./views/qa/Review.vue'), meta: { title: '质检详情', roles: ['qa_reviewer', 'supervisor'] } },
      { path: 'admin/tenants', component: () => import('./views/admin/Tenants.vue'), meta: { title: '租户', roles: ['admin'] } },
      { path: 'admin/units', component: () => import('./views/admin/Units.vue'), meta: { title: '承办单位与黄页', roles: ['admin'] } },
      { path: 'admin/users', component: () => import('./views/admin/Users.vue'), meta: { title: '用户与角色', roles: ['admin'] } },
      { path: 'admin/skill-groups', component: () => import('./views/admin/SkillGroups.vue'), meta: { title: '技能组', roles: ['admin'] } },
      { path: 'admin/ivr-menus', component: () => import('./views/admin/IvrMenus.vue'), meta: { title: '语音导航', roles: ['admin'] } },
      { path: 'admin/blacklist', component: () => import('./views/admin/Blacklist.vue'), meta: { title: '黑名单', roles: ['admin'] } },
      { path: 'admin/calendars', component: () => import('./views/admin/Calendars.vue'), meta: { title: '工作日历', roles: ['admin'] } },
      { path: 'admin/qa-rules', component: () => import('./views/admin/QaRules.vue'), meta: { title: '质检规则', roles: ['admin'] } },
      { path: 'admin/duties', component: () => import('./views/admin/Duties.vue'), meta: { title: '权责清单', roles: ['admin'] } },
    ],
  },
  {
    path: '/m',
    component: Mobile,
    children: [
      { path: '', component: () => import('./views/mobile/Inbox.vue'), meta: { title: '待办' } },
      { path: 'tickets/:id', component: () => import('./views/mobile/TicketView.vue'), meta: { title: '工单' } },
      { path: 'search', component: () => import('./views/mobile/Search.vue'), meta: { title: '查询' } },
      { path: 'leader', component: () => import('./views/mobile/Leader.vue'), meta: { title: '本单位' } },
    ],
  },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { public: true, title: '页面不存在' } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const auth = useAuth()
  if (to.meta.public) return true
  if (!auth.token) return { path: '/login', query: { next: to.fullPath } }
  try {
    await auth.load()
  } catch {
    await auth.logout(false)
    return { path: '/login', query: { next: to.fullPath } }
  }
  if (to.path === '/home' && to.redirectedFrom?.path === '/') return auth.homePath()
  const roles = to.meta.roles
  if (roles && !auth.has(...roles)) return { path: '/home', query: { denied: to.path } }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title ? to.meta.title + ' - ' : ''}12345 热线平台`
})
