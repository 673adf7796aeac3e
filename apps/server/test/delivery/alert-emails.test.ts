import { afterEach } from 'vitest';
import { sqlFor } from '../../src/db/sql.ts';
import { createLogger } from '../../src/logger.ts';
import { AlertMailer, type MailerSettings } from '../../src/mail/mailer.ts';
import * as queue from '../../src/queue/index.ts';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';
import { type SmtpReceiver, startSilentSmtp, startSmtpReceiver } from '../mail-fixtures.ts';

const RUN_EVENT = {
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'JgwXN9BdwxGcu9MMF' },
};
const DASHBOARD = 'http://dashboard.test:8788';

function mailerSettings(port: number, overrides: Partial<MailerSettings> = {}): MailerSettings {
  return {
    smtp: {
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 2_000,
      greetingTimeout: 2_000,
      socketTimeout: 5_000,
      logger: false,
    },
    from: 'Ricochet <alerts@ricochet.test>',
    maxPerHour: 10,
    retryBaseMs: 100,
    giveUpMs: 86_400_000,
    dashboardUrl: DASHBOARD,
    brandName: 'Ricochet',
    ...overrides,
  };
}

/** `ricochet.webhook.disabled` (410 Gone) for each of `webhooks`, queued with its alert e-mails. */
async function queueDisabledAlerts(
  prisma: Parameters<typeof sqlFor>[0],
  userId: string,
  webhooks: Array<{ id: string }>,
  requestUrl: string,
): Promise<void> {
  await sqlFor(prisma).transaction((tx) =>
    queue.emitOperationalEvents(
      tx,
      webhooks.map((webhook) => ({
        userId,
        eventType: 'ricochet.webhook.disabled' as const,
        eventData: {
          webhookId: webhook.id,
          userId,
          requestUrl,
          state: 'STOPPED' as const,
          description: null,
          reason: 'GONE' as const,
          failedDispatches: null,
          lastResponseStatus: 410,
          lastError: null,
        },
      })),
      { alertEmails: true },
    ),
  );
}

describe('alert e-mails', () => {
  const smtps: SmtpReceiver[] = [];
  const mailers: AlertMailer[] = [];
  const newMailer = (prisma: Parameters<typeof sqlFor>[0], settings: MailerSettings) => {
    const mailer = new AlertMailer({
      sql: sqlFor(prisma),
      logger: createLogger({ LOG_LEVEL: 'silent' }),
      settings,
    });
    mailers.push(mailer);
    return mailer;
  };

  test('failing, then disabled: one mail each to the user and to the webhook, with the link; two mailers send each once', async ({
    api,
    delivery,
  }) => {
    const smtp = await startSmtpReceiver();
    smtps.push(smtp);
    const set = await api.request('PUT', '/v2/users/me/alert-email', {
      body: { alertEmail: 'owner@customer.test' },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().data.alertEmail).toBe('owner@customer.test');
    const broken = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({
      requestUrl: broken.url,
      doNotRetry: true,
      description: 'Orders sync',
      errorsEmail: 'oncall@customer.test',
    });
    expect(webhook.errorsEmail).toBe('oncall@customer.test');
    const worker = delivery.worker({ settings: { failureThreshold: 3, alertEmails: true } });
    for (let index = 0; index < 3; index++) {
      await delivery.publish(RUN_EVENT);
      while ((await worker.runOnce()) > 0) {}
    }
    // Two mailers at once (two worker processes): every mail goes once.
    const settings = mailerSettings(smtp.port);
    await Promise.all([newMailer(api.prisma, settings).sendDue(), newMailer(api.prisma, settings).sendDue()]);
    await expect.poll(() => smtp.mails.length).toBe(4);
    const byKey = smtp.mails.map((mail) => `${mail.to.join(',')} ${mail.subject}`).sort();
    expect(byKey).toEqual([
      'oncall@customer.test [Ricochet] Webhook disabled: Orders sync',
      'oncall@customer.test [Ricochet] Webhook failing: Orders sync',
      'owner@customer.test [Ricochet] Webhook disabled: Orders sync',
      'owner@customer.test [Ricochet] Webhook failing: Orders sync',
    ]);
    for (const mail of smtp.mails) {
      expect(mail.from).toBe('alerts@ricochet.test');
      expect(mail.text).toContain(`${DASHBOARD}/webhooks/${webhook.id}`);
      expect(mail.text).toContain('HTTP 500');
    }
    const rows = await api.prisma.alertEmail.findMany();
    expect(rows.map((row) => row.state)).toEqual(['SENT', 'SENT', 'SENT', 'SENT']);
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
    // Nothing left: another round sends nothing more.
    expect(await newMailer(api.prisma, settings).sendDue()).toBe(0);
    expect(smtp.mails).toHaveLength(4);
  });

  test('the same address on the user and the webhook gets one mail; without alertEmails none is queued', async ({
    api,
    delivery,
  }) => {
    await api.request('PUT', '/v2/users/me/alert-email', { body: { alertEmail: 'same@customer.test' } });
    const closed = await delivery.receiver();
    const url = closed.url;
    await closed.close();
    await delivery.webhook({ requestUrl: url, errorsEmail: 'SAME@customer.test' });
    const circuit = { failureThreshold: 1, probeDelayMs: 600_000, maxProbeDelayMs: 600_000 };
    const silentWorker = delivery.worker({ settings: { circuit } });
    await delivery.publish(RUN_EVENT);
    await silentWorker.runOnce();
    expect(
      await api.prisma.webhookNotification.count({ where: { eventType: 'ricochet.webhook.failing' } }),
    ).toBe(1);
    expect(await api.prisma.alertEmail.count()).toBe(0);

    const other = await delivery.receiver();
    const otherUrl = other.url;
    await other.close();
    await delivery.webhook({ requestUrl: otherUrl, errorsEmail: 'SAME@customer.test' });
    await delivery.publish(RUN_EVENT);
    await delivery.worker({ settings: { circuit, alertEmails: true } }).runOnce();
    const rows = await api.prisma.alertEmail.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.eventType).toBe('ricochet.webhook.failing');
  });

  test('an SMTP server that never answers delays no delivery, and the mail goes once it is back', async ({
    api,
    db,
    delivery,
  }) => {
    await api.request('PUT', '/v2/users/me/alert-email', { body: { alertEmail: 'owner@customer.test' } });
    const silent = await startSilentSmtp();
    const mailer = new AlertMailer({
      sql: sqlFor(api.prisma),
      logger: createLogger({ LOG_LEVEL: 'silent' }),
      settings: mailerSettings(silent.port),
      listen: db.listen,
    });
    mailers.push(mailer);
    await mailer.start();
    const broken = await delivery.receiver(respond(500));
    await delivery.webhook({ requestUrl: broken.url, doNotRetry: true });
    const healthy = await delivery.receiver();
    await delivery.webhook({ requestUrl: healthy.url, eventTypes: ['ACTOR.RUN.FAILED'], condition: {} });
    const worker = delivery.worker({ settings: { failureThreshold: 2, alertEmails: true }, listen: true });
    await worker.start();
    for (let index = 0; index < 2; index++) await delivery.publish(RUN_EVENT);
    // The mailer is stuck on the silent server's greeting...
    await expect
      .poll(async () => (await api.prisma.alertEmail.findMany()).map((row) => row.leasedUntil !== null), {
        timeout: 30_000,
      })
      .toContain(true);
    // ...and deliveries go on as ever.
    const paid = await delivery.publish({ eventType: 'ACTOR.RUN.FAILED', eventData: { orderId: 'o-1' } });
    await expect.poll(() => healthy.received.length, { timeout: 30_000 }).toBe(1);
    expect(JSON.parse(healthy.received[0]?.body ?? '{}').eventData).toEqual({ orderId: 'o-1' });
    expect(paid.dispatchCount).toBe(1);
    // The greeting times out, the mail waits for its retry; the server comes back on that port.
    await expect
      .poll(async () => (await api.prisma.alertEmail.findMany()).map((row) => row.lastError ?? ''), {
        timeout: 30_000,
      })
      .toContainEqual(expect.stringMatching(/greeting|timeout/i));
    const port = silent.port;
    await silent.close();
    const smtp = await startSmtpReceiver(port);
    smtps.push(smtp);
    await expect.poll(() => smtp.mails.length, { timeout: 60_000, interval: 100 }).toBe(2);
    expect(smtp.mails.map((mail) => mail.subject).sort()).toEqual([
      expect.stringMatching(/^\[Ricochet\] Webhook disabled: /),
      expect.stringMatching(/^\[Ricochet\] Webhook failing: /),
    ]);
    await expect
      .poll(async () => (await api.prisma.alertEmail.findMany()).map((row) => row.state))
      .toEqual(['SENT', 'SENT']);
  });

  test('over ALERT_EMAIL_MAX_PER_HOUR for an address, the rest are SUPPRESSED, not sent', async ({
    api,
    delivery,
  }) => {
    const smtp = await startSmtpReceiver();
    smtps.push(smtp);
    await api.request('PUT', '/v2/users/me/alert-email', { body: { alertEmail: 'owner@customer.test' } });
    const receiver = await delivery.receiver();
    const webhooks: Array<{ id: string }> = [];
    for (let index = 0; index < 3; index++)
      webhooks.push(await delivery.webhook({ requestUrl: receiver.url }));
    const users = await api.prisma.user.findMany({ where: { alertEmail: 'owner@customer.test' } });
    const owner = users[0];
    if (!owner) throw new Error('no user with the address');
    await queueDisabledAlerts(api.prisma, owner.id, webhooks, receiver.url);
    const mailer = newMailer(api.prisma, mailerSettings(smtp.port, { maxPerHour: 2 }));
    await mailer.sendDue();
    await mailer.sendDue();
    expect(smtp.mails).toHaveLength(2);
    const rows = await api.prisma.alertEmail.findMany({ orderBy: { createdAt: 'asc' } });
    expect(rows.map((row) => row.state).sort()).toEqual(['SENT', 'SENT', 'SUPPRESSED']);
    expect(rows.find((row) => row.state === 'SUPPRESSED')?.lastError).toMatch(/ALERT_EMAIL_MAX_PER_HOUR/);
  });

  test('the limit counts an address whatever its case; a stale mail is given up unsent; a refused login is retried', async ({
    api,
    delivery,
  }) => {
    const smtp = await startSmtpReceiver();
    smtps.push(smtp);
    const receiver = await delivery.receiver();
    const webhooks: Array<{ id: string }> = [];
    for (const errorsEmail of ['Boss@customer.test', 'bOSS@customer.test', 'BOSS@customer.test']) {
      webhooks.push(await delivery.webhook({ requestUrl: receiver.url, errorsEmail }));
    }
    const owner = api.admin;
    await queueDisabledAlerts(api.prisma, owner.id, webhooks, `${receiver.url}?token=secret-in-the-query`);
    await newMailer(api.prisma, mailerSettings(smtp.port, { maxPerHour: 2 })).sendDue();
    expect(smtp.mails).toHaveLength(2);
    const states = (await api.prisma.alertEmail.findMany()).map((row) => row.state).sort();
    expect(states).toEqual(['SENT', 'SENT', 'SUPPRESSED']);
    // What a URL carries of credentials stays out of the mail.
    for (const mail of smtp.mails)
      expect(`${mail.subject}\n${mail.text}`).not.toContain('secret-in-the-query');

    // A mail that waited past ALERT_EMAIL_GIVE_UP_MS (no mailer ran) is given up, not sent late.
    await api.prisma.alertEmail.deleteMany();
    await queueDisabledAlerts(api.prisma, owner.id, webhooks.slice(0, 1), receiver.url);
    await api.prisma.alertEmail.updateMany({ data: { createdAt: new Date(Date.now() - 2 * 86_400_000) } });
    await newMailer(api.prisma, mailerSettings(smtp.port, { giveUpMs: 86_400_000 })).sendDue();
    expect(smtp.mails).toHaveLength(2);
    expect((await api.prisma.alertEmail.findMany()).map((row) => row.state)).toEqual(['FAILED']);

    // An SMTP server refusing the login (535: a rotated password) is the installation's to fix:
    // the mail waits for its retry, it is not given up.
    const locked = await startSmtpReceiver(0, { refuseLogins: true });
    smtps.push(locked);
    await api.prisma.alertEmail.updateMany({ data: { state: 'PENDING', createdAt: new Date() } });
    const withLogin = mailerSettings(locked.port);
    await newMailer(api.prisma, {
      ...withLogin,
      smtp: { ...withLogin.smtp, auth: { user: 'ricochet', pass: 'rotated' } },
    }).sendDue();
    const [row] = await api.prisma.alertEmail.findMany();
    expect(row?.state).toBe('PENDING');
    expect(row?.lastError).toMatch(/535|Invalid/);
    expect(locked.mails).toHaveLength(0);
  });

  test('an address that is not one is refused 400 in the envelope', async ({ api }) => {
    const user = await api.request('PUT', '/v2/users/me/alert-email', { body: { alertEmail: 'nope' } });
    expect(user.statusCode).toBe(400);
    expect(user.json().error.type).toBeTruthy();
    const webhook = await api.request('POST', '/v2/webhooks', {
      body: {
        eventTypes: ['ACTOR.RUN.SUCCEEDED'],
        requestUrl: 'https://example.com/hook',
        errorsEmail: 'x@',
      },
    });
    expect(webhook.statusCode).toBe(400);
    const cleared = await api.request('PUT', '/v2/users/me/alert-email', { body: { alertEmail: null } });
    expect(cleared.json().data.alertEmail).toBeNull();
  });

  afterEach(async () => {
    for (const mailer of mailers.splice(0)) await mailer.stop();
    for (const smtp of smtps.splice(0)) await smtp.close();
  });
});
