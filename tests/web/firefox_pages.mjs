// Opens the web UI in Debian's Firefox ESR over WebDriver BiDi (puppeteer-core, no browser download).
// Usage: node firefox_pages.mjs <spec.json>; spec = {baseUrl, webDir, shots, firefox, sessions: [{user,
// password, viewport, pages: [{path, text, name}]}]}. Prints one JSON report on stdout.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'))
// puppeteer-core is a devDependency of the web app, so resolve it from there
const puppeteer = createRequire(path.join(spec.webDir, 'package.json'))('puppeteer-core')

const TIMEOUT = 20000
const report = { browser: null, sessions: [] }

async function openSession(browser, session) {
  const context = await browser.createBrowserContext() // own localStorage per user
  const page = await context.newPage()
  await page.setViewport(session.viewport)
  const consoleErrors = []
  const pageErrors = []
  const serverErrors = []
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
  page.on('pageerror', (e) => pageErrors.push(String(e?.message || e)))
  page.on('response', (r) => r.status() >= 500 && serverErrors.push(`${r.status()} ${r.url()}`))
  const out = { user: session.user, pages: [], login: false }
  report.sessions.push(out)
  try {
    await page.goto(`${spec.baseUrl}/login`, { waitUntil: 'load' })
    await page.waitForSelector('input[name=username]', { timeout: TIMEOUT })
    await page.type('input[name=username]', session.user)
    await page.type('input[name=password]', session.password)
    await page.click('[data-test=login]')
    await page.waitForFunction(() => !location.pathname.startsWith('/login'), { timeout: TIMEOUT })
    out.login = true
    for (const p of session.pages) {
      const entry = { path: p.path, text: p.text, found: false, title: '', errors: [] }
      const marks = [consoleErrors.length, pageErrors.length, serverErrors.length]
      try {
        // leave the previous page only when its requests are done: Firefox rejects fetches cut off by
        // navigation while the old page still runs, which would be reported against the next page
        await page.waitForNetworkIdle({ idleTime: 300, timeout: 5000 }).catch(() => {})
        await page.goto(`${spec.baseUrl}${p.path}`, { waitUntil: 'load' })
        await page.waitForFunction((t) => document.body.innerText.includes(t), { timeout: TIMEOUT }, p.text)
        entry.found = true
        // element-plus shows API failures as error toasts: none may be on screen
        entry.errorToasts = await page.$$eval('.el-message--error', (els) => els.map((e) => e.innerText))
        await new Promise((r) => setTimeout(r, 400)) // late requests and charts settle
        entry.title = await page.title()
        entry.screenshot = path.join(spec.shots, `firefox-${p.name}.png`)
        await page.screenshot({ path: entry.screenshot, fullPage: true })
      } catch (e) {
        entry.errors.push(`${p.path}: ${e.message}`)
        await page.screenshot({ path: path.join(spec.shots, `firefox-${p.name}-failed.png`), fullPage: true }).catch(() => {})
      }
      entry.console = consoleErrors.slice(marks[0])
      entry.pageErrors = pageErrors.slice(marks[1])
      entry.serverErrors = serverErrors.slice(marks[2])
      out.pages.push(entry)
    }
  } catch (e) {
    out.error = e.message
    out.console = consoleErrors
    out.pageErrors = pageErrors
  } finally {
    await context.close()
  }
}

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: spec.firefox,
  headless: true,
  extraPrefsFirefox: { 'intl.accept_languages': 'zh-CN', 'network.proxy.type': 0 },
})
try {
  report.browser = await browser.version()
  for (const session of spec.sessions) await openSession(browser, session)
} finally {
  await browser.close()
}
process.stdout.write(JSON.stringify(report))
