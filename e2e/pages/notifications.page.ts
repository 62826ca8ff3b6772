import type { Locator, Page } from 'playwright-core';

/** The bell in the header and the notification panel it opens (guide §4). */
export class NotificationsPage {
  constructor(private readonly page: Page) {}

  /** Its accessible name carries the count: « Notifications (3 non lues) ». */
  bell(): Locator {
    return this.page.getByRole('button', { name: /^Notifications/ });
  }

  badge(): Locator {
    return this.page.getByTestId('unread-badge');
  }

  panel(): Locator {
    return this.page.getByRole('dialog', { name: 'Notifications' });
  }

  items(): Locator {
    return this.panel().getByTestId('notification-item');
  }

  /**
   * Resolves once the shell has sent both live subscriptions (badge and list) on its WebSocket.
   * Call before the page loads: a publish before they are sent would only show on the next
   * catch-up, not live. `also` names the page's own subscriptions to wait for (the dashboard's).
   */
  liveSubscriptions(also: string[] = []): Promise<void> {
    const wanted = ['BellUnreadCountLive', 'BellNotificationAdded', ...also];
    return new Promise((resolve) => {
      const seen = new Set<string>();
      this.page.on('websocket', (ws) => {
        if (!ws.url().endsWith('/graphql')) return;
        ws.on('framesent', (frame) => {
          const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8');
          for (const name of wanted) if (text.includes(`"type":"subscribe"`) && text.includes(name)) seen.add(name);
          if (seen.size === wanted.length) resolve();
        });
      });
    });
  }

  /** Waits until the badge shows n (no badge at all for 0). */
  async waitForUnread(n: number): Promise<void> {
    if (n === 0) {
      await this.badge().waitFor({ state: 'detached' });
      await this.page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
      return;
    }
    await this.badge().filter({ hasText: new RegExp(`^${n > 99 ? '99\\+' : n}$`) }).waitFor();
    await this.page.getByRole('button', { name: `Notifications (${n} non ${n === 1 ? 'lue' : 'lues'})` }).waitFor();
  }

  async open(): Promise<void> {
    await this.bell().click();
    await this.panel().waitFor();
    await this.items().first().or(this.panel().getByText('Aucune notification')).waitFor();
  }

  /** The panel's entry for a patient (newest first, so the first match is the latest). */
  itemFor(patientName: RegExp): Locator {
    return this.items().filter({ hasText: patientName }).first();
  }

  /** The unread count as the server has it, with the page's session cookie. */
  async serverUnreadCount(baseUrl: string): Promise<number> {
    const res = await this.page.request.post(`${baseUrl}/graphql`, {
      headers: { 'content-type': 'application/json' },
      data: { query: '{ unreadNotificationCount }' },
    });
    const body = (await res.json()) as { data?: { unreadNotificationCount?: number } };
    if (typeof body.data?.unreadNotificationCount !== 'number') throw new Error(`unreadNotificationCount failed: ${JSON.stringify(body)}`);
    return body.data.unreadNotificationCount;
  }
}
