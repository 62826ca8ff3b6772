import type { PortalServer } from './server.js';

export const DEMO_PHYSICIAN = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

/** The demo exams are published over HTTP after start-up: wait for the portal to say so. */
export async function waitForDemoExams(portal: PortalServer, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/Demo exams published/.test(portal.output())) {
    if (/demo exams could not be published/i.test(portal.output())) throw new Error(`Demo seed failed:\n${portal.output()}`);
    if (Date.now() > deadline) throw new Error(`Demo exams not published in time:\n${portal.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
