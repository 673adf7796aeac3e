import { setTimeout as sleep } from 'node:timers/promises';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Sql } from '../db/sql.ts';
import { ALERT_EMAIL_CHANNEL } from '../queue/constants.ts';
import {
  type ClaimedAlertEmail,
  claimAlertEmails,
  markAlertEmailSent,
  markAlertEmailUnsent,
  nextAlertEmailDueAt,
  pruneAlertEmails,
} from './outbox.ts';
import { renderAlertEmail } from './render.ts';

export type MailerSettings = {
  smtp: SMTPTransport.Options;
  from: string;
  maxPerHour: number;
  retryBaseMs: number;
  giveUpMs: number;
  dashboardUrl: string;
  brandName: string;
};

/** Mails claimed (and sent side by side) at once. */
const CLAIM_LIMIT = 10;
/**
 * A claimed mail's lease: longer than one send can take (the SMTP timeouts below add up to under a
 * minute), so a mail is sent twice only when its mailer died before marking it.
 */
const LEASE_MS = 180_000;
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
/** A failed send waits retryBaseMs, then twice as long each time, up to this. */
const RETRY_MAX_MS = 30 * 60_000;
/** Wake-up when no NOTIFY comes (a mail queued by a process whose NOTIFY was lost, a lapsed lease). */
const POLL_INTERVAL_MS = 30_000;
const ERROR_BACKOFF_MS = 5_000;
/** How often a mailer deletes long-finished mails (pruneAlertEmails). */
const PRUNE_INTERVAL_MS = 3_600_000;

/** The mailer's settings from the environment; undefined when no SMTP server is configured. */
export function mailerSettingsFrom(config: Config): MailerSettings | undefined {
  if (config.SMTP_HOST === undefined || config.SMTP_FROM === undefined) return undefined;
  return {
    smtp: {
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_TLS === 'implicit',
      requireTLS: config.SMTP_TLS === 'starttls',
      ignoreTLS: config.SMTP_TLS === 'none',
      ...(config.SMTP_USER !== undefined &&
        config.SMTP_PASSWORD !== undefined && {
          auth: { user: config.SMTP_USER, pass: config.SMTP_PASSWORD },
        }),
      ...SMTP_TIMEOUTS,
      // Nodemailer's own logging would print the SMTP dialogue (AUTH included): never.
      logger: false,
      debug: false,
    },
    from: config.SMTP_FROM,
    maxPerHour: config.ALERT_EMAIL_MAX_PER_HOUR,
    retryBaseMs: config.ALERT_EMAIL_RETRY_BASE_MS,
    giveUpMs: config.ALERT_EMAIL_GIVE_UP_MS,
    dashboardUrl: config.RICOCHET_DASHBOARD_URL,
    brandName: config.RICOCHET_BRAND_NAME,
  };
}

/**
 * Sends the alert e-mail outbox (schema.prisma, AlertEmail) through the configured SMTP server: a
 * loop of its own beside the delivery worker's, on its own connection, so an SMTP server that is
 * slow, down or refusing delays no delivery; its mails wait in the outbox and go when it is back.
 * Every worker process runs one; claims take turns, each mail is leased to one mailer, and it is
 * marked SENT right after the server accepted it. A mailer killed between the two sends it again
 * (the only duplicate); a refusal for good (5xx) or a mail older than ALERT_EMAIL_GIVE_UP_MS is FAILED.
 */
export class AlertMailer {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private wakeRequested = false;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: {
      sql: Sql;
      logger: Logger;
      settings: MailerSettings;
      listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;
    },
  ) {
    this.transport = nodemailer.createTransport(deps.settings.smtp);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.deps.listen)
      this.unlisten = await this.deps.listen(ALERT_EMAIL_CHANNEL, () => this.requestWake());
    this.loop = this.run();
  }

  /** Stops claiming and waits for the mails being sent to be marked. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.requestWake();
    await this.loop;
    await this.unlisten?.();
    this.transport.close();
  }

  /** Sends what is due now; returns how many mails it claimed (for tests and the loop). */
  async sendDue(): Promise<number> {
    const { settings } = this.deps;
    const mails = await claimAlertEmails(this.deps.sql, {
      limit: CLAIM_LIMIT,
      leaseMs: LEASE_MS,
      maxPerHour: settings.maxPerHour,
      giveUpMs: settings.giveUpMs,
    });
    await Promise.all(mails.map((mail) => this.send(mail)));
    return mails.length;
  }

  private requestWake(): void {
    if (this.wake) this.wake();
    else this.wakeRequested = true;
  }

  private async run(): Promise<void> {
    let prunedAt = 0;
    while (this.running) {
      let sleepMs = POLL_INTERVAL_MS;
      try {
        if (Date.now() - prunedAt > PRUNE_INTERVAL_MS) {
          prunedAt = Date.now();
          await pruneAlertEmails(this.deps.sql);
        }
        const claimed = await this.sendDue();
        if (claimed === CLAIM_LIMIT) continue;
        const next = await nextAlertEmailDueAt(this.deps.sql);
        if (next) sleepMs = Math.min(sleepMs, Math.max(0, next.getTime() - Date.now()));
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'sending alert e-mails failed; retrying');
        sleepMs = ERROR_BACKOFF_MS;
      }
      if (this.wakeRequested) {
        this.wakeRequested = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async send(mail: ClaimedAlertEmail): Promise<void> {
    const { settings, logger } = this.deps;
    const message = renderAlertEmail({
      eventType: mail.eventType,
      eventData: mail.eventData,
      dashboardUrl: settings.dashboardUrl,
      brandName: settings.brandName,
    });
    if (!message) {
      await this.mark(mail, () =>
        markAlertEmailUnsent(this.deps.sql, mail, {
          error: `Not an alert e-mail: ${mail.eventType}.`,
          retryInMs: 0,
          final: true,
        }),
      );
      return;
    }
    try {
      await this.transport.sendMail({ from: settings.from, to: mail.toAddress, ...message });
    } catch (error) {
      const smtpError = error as SMTPConnection.SMTPError;
      // Only a recipient the server refuses for good (5xx to RCPT TO) is final. A 5xx elsewhere
      // (535 to AUTH after a password change, 554 to the greeting) is the installation's to fix:
      // those mails wait and go once it is fixed.
      const refused =
        smtpError.code === 'EENVELOPE' &&
        smtpError.responseCode !== undefined &&
        smtpError.responseCode >= 500;
      const stale = Date.now() - mail.createdAt.getTime() >= settings.giveUpMs;
      const retryInMs = Math.min(settings.retryBaseMs * 2 ** Math.min(mail.attempts - 1, 20), RETRY_MAX_MS);
      const reason = smtpError.response ?? smtpError.message;
      logger.warn(
        {
          alertEmailId: mail.id,
          webhookId: mail.webhookId,
          attempts: mail.attempts,
          error: reason,
          final: refused || stale,
        },
        'alert e-mail not sent',
      );
      await this.mark(mail, () =>
        markAlertEmailUnsent(this.deps.sql, mail, { error: reason, retryInMs, final: refused || stale }),
      );
      return;
    }
    await this.mark(mail, () => markAlertEmailSent(this.deps.sql, mail));
    logger.info(
      { alertEmailId: mail.id, webhookId: mail.webhookId, eventType: mail.eventType },
      'alert e-mail sent',
    );
  }

  /**
   * Records a mail's fate, retrying while the database refuses, until its lease is nearly over: a
   * mail the server took is not sent again for a passing database error.
   */
  private async mark(mail: ClaimedAlertEmail, write: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + LEASE_MS / 2;
    for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        await write();
        return;
      } catch (error) {
        if (Date.now() + delay > deadline) {
          this.deps.logger.error(
            { err: error, alertEmailId: mail.id },
            'could not record an alert e-mail; it may be sent again',
          );
          return;
        }
        await sleep(delay);
      }
    }
  }
}
