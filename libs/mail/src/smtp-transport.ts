import type SMTPPool from 'nodemailer/lib/smtp-pool';

import { AppConfig } from '@evently/config';

const IMPLICIT_TLS_PORT = 465;

/**
 * Mails a worker process sends at once: the mail processor's concurrency and the SMTP pool's size. Each send
 * holds a database connection for its SMTP exchange (see MailService.sendOnce), so it stays well below the
 * pool the booking allocator also needs.
 */
export const MAIL_CONCURRENCY = 4;

/**
 * Nodemailer SMTP options from the spec's `EMAIL_*` variables. `EMAIL_USE_TLS` means what it means in Django:
 * upgrade with STARTTLS and refuse to send without it; port 465 speaks TLS from the first byte instead.
 * The timeouts bound a hung server, because a mail job holds its delivery claim (and a database connection)
 * for as long as the SMTP exchange lasts. Connections are pooled: a new connection per message costs a TCP and
 * often a TLS handshake, a greeting and EHLO (and on many servers a reverse DNS lookup) before every mail.
 * An idle pooled connection closes after the socket timeout; the pool closes with the worker.
 */
export function smtpTransportOptions(mail: AppConfig['mail']): SMTPPool.Options {
  const implicitTls = mail.port === IMPLICIT_TLS_PORT;
  return {
    host: mail.host,
    port: mail.port,
    secure: implicitTls,
    requireTLS: mail.secure && !implicitTls,
    // Without EMAIL_USE_TLS, STARTTLS when the relay offers it (Django would send in the clear, login included), but
    // not required, so without checking the certificate: a relay's self-signed one (a stock Postfix) failed every mail.
    tls: mail.secure || implicitTls ? undefined : { rejectUnauthorized: false },
    // Django logs in only with both: a relay that trusts the sender's address may still offer AUTH.
    auth: mail.user && mail.password ? { user: mail.user, pass: mail.password } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    pool: true,
    maxConnections: MAIL_CONCURRENCY,
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
