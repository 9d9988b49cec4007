import dayjs from 'dayjs'

export function fmtTime(v, pattern = 'YYYY-MM-DD HH:mm') {
  return v ? dayjs(v).format(pattern) : ''
}
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return ''
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}
/** Human countdown to a deadline: "剩 3小时20分" / "超时 1天2小时". */
export function fmtRemaining(deadline, now = Date.now()) {
  if (!deadline) return ''
  let diff = Math.round((new Date(deadline).getTime() - now) / 60000)
  const late = diff < 0
  diff = Math.abs(diff)
  const d = Math.floor(diff / 1440)
  const h = Math.floor((diff % 1440) / 60)
  const m = diff % 60
  const text = d ? `${d}天${h}小时` : h ? `${h}小时${m}分` : `${m}分钟`
  return late ? `超时 ${text}` : `剩 ${text}`
}
