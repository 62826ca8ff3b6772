#!/usr/bin/env node
// node bench/viewer-cpu.mjs [loads=6] [clientDir] — CPU time of every process on the machine
// (from /proc: user and kernel), per cold load of the demo CT's document page, from navigation to
// the first image: the browser's processes (the page's renderer, the browser process, its GPU and
// network services), the e-mage server, its embedded PostgreSQL. Tells what the two cores did
// while the page waited, and whether the server or the browser was the one that was busy
// (docs/adr/0086). UNTIL=series measures up to the whole series loaded instead.
import fs from 'node:fs';
import path from 'node:path';
import { ctDocument, launchBrowser, newLoggedInPage, startPortal } from './lib/viewer-portal.mjs';

const N = Number(process.argv[2] ?? 6);
const MARK = process.env.UNTIL === 'series' ? 'allLoaded' : 'firstImage';
const portal = await startPortal({ clientDir: process.argv[3] ? path.resolve(process.argv[3]) : undefined });
const browser = await launchBrowser();
const HZ = 100; // USER_HZ, the unit of /proc/<pid>/stat's times on Linux
function snapshot() {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let kind = comm;
      if (/chromium/.test(cmd)) kind = 'chromium ' + ((/--type=(\S+)/.exec(cmd) ?? [, 'browser'])[1]) + (/--utility-sub-type=(\S+)/.exec(cmd)?.[1] ? ':' + /--utility-sub-type=(\S+)/.exec(cmd)[1].split('.').pop() : '');
      else if (/server\/dist\/main\.js/.test(cmd)) kind = 'e-mage server';
      else if (/postgres/.test(cmd)) kind = 'postgres';
      else if (/node/.test(comm)) kind = 'node (this bench, other Node processes)';
      out.set(pid, { kind, utime: Number(f[11]), stime: Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}
try {
  const probe = await newLoggedInPage(browser, portal.url);
  const doc = await ctDocument(probe.page, portal.url);
  await probe.context.close();
  const total = new Map(); const fi = [];
  for (let i = 0; i < N; i++) {
    const { context, page } = await newLoggedInPage(browser, portal.url);
    const a = snapshot();
    await page.goto(`${portal.url}/documents/${doc.id}`);
    await page.waitForFunction((mark) => window.__viewerMarks?.[mark] !== undefined, MARK, { timeout: 60_000 });
    const b = snapshot();
    fi.push(Math.round(await page.evaluate((mark) => window.__viewerMarks[mark], MARK)));
    for (const [pid, s] of b) {
      const before = a.get(pid) ?? { utime: 0, stime: 0 }; // a process started during the load
      const k = total.get(s.kind) ?? { u: 0, s: 0 };
      k.u += (s.utime - before.utime) * 1000 / HZ / N; k.s += (s.stime - before.stime) * 1000 / HZ / N;
      total.set(s.kind, k);
    }
    await context.close();
  }
  const until = MARK === 'allLoaded' ? 'the whole series loaded' : 'first image';
  console.log(`CPU time per cold load, navigation to ${until}, mean of ${N} loads (${until}: ${fi.join(', ')} ms)`);
  for (const [k, v] of [...total].sort((a, b) => (b[1].u + b[1].s) - (a[1].u + a[1].s)).slice(0, 12)) console.log(`${(v.u + v.s).toFixed(0).padStart(6)} ms (user ${v.u.toFixed(0)}, sys ${v.s.toFixed(0)})  ${k}`);
} finally { await browser.close(); await portal.stop(); }
