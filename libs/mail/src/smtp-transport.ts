import type SMTPPool from 'nodemailer/lib/smtp-pool';

import { AppConfig } from '@evently/config';

const IMPLICIT_TLS_PORT = 465;
/** Per process; the mail processor sends at most four at once. */
const MAX_CONNECTIONS = 4;

/**
 * Nodemailer SMTP options from the spec's `EMAIL_*` variables. `EMAIL_USE_TLS` means what it means in Django:
 * upgrade with STARTTLS and refuse to send without it; port 465 speaks TLS from the first byte instead.
 * The timeouts bound a hung server, because a mail job holds its delivery claim (and a database connection)
 * for as long as the SMTP exchange lasts. Connections are pooled: a new connection per message (greeting,
 * EHLO, often a reverse DNS lookup on the server's side) held the confirmations of an on-sale back for minutes.
 * An idle pooled connection closes after the socket timeout; the pool closes with the worker.
 */
export function smtpTransportOptions(mail: AppConfig['mail']): SMTPPool.Options {
  const implicitTls = mail.port === IMPLICIT_TLS_PORT;
  return {
    host: mail.host,
    port: mail.port,
    secure: implicitTls,
    requireTLS: mail.secure && !implicitTls,
    auth: mail.user ? { user: mail.user, pass: mail.password } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    pool: true,
    maxConnections: MAX_CONNECTIONS,
    maxMessages: 100,
  };
}

/**
 * A rejection that retrying cannot fix: the server refused this recipient or this message with a 5xx, or the
 * address is not one at all. Authentication, sender (MAIL FROM) and connection failures are not in it: they
 * heal once the configuration or the server does, so those jobs keep retrying.
 */
export function isPermanentRejection(error: unknown): boolean {
  const smtp = error as { permanent?: boolean; code?: string; command?: string };
  const aboutThisMail = smtp.code === 'EMESSAGE' || (smtp.code === 'EENVELOPE' && smtp.command !== 'MAIL FROM');
  return aboutThisMail && (smtp.permanent === true || smtp.command === 'API');
}
