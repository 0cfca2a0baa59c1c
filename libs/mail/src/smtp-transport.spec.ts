import { isPermanentRejection, MAIL_CONCURRENCY, smtpTransportOptions } from './smtp-transport';

const mail = {
  host: 'smtp.example.com',
  port: 587,
  secure: true,
  user: '',
  password: '',
  from: 'noreply@evently.com',
  ratePerSecond: 100,
  rushPauseMaxSeconds: 60,
};

describe('smtpTransportOptions', () => {
  it('reads EMAIL_USE_TLS as Django does: STARTTLS, required', () => {
    expect(smtpTransportOptions(mail)).toMatchObject({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
    });
    expect(smtpTransportOptions({ ...mail, secure: false })).toMatchObject({ secure: false, requireTLS: false });
  });

  it('speaks TLS from the start on port 465', () => {
    expect(smtpTransportOptions({ ...mail, port: 465 })).toMatchObject({ secure: true, requireTLS: false });
  });

  it('checks the certificate on port 465 whatever EMAIL_USE_TLS says: only an optional STARTTLS goes unchecked', () => {
    for (const secure of [true, false]) {
      expect(smtpTransportOptions({ ...mail, port: 465, secure }).tls?.rejectUnauthorized).not.toBe(false);
    }
  });

  it('gives up on a hung server within seconds, where nodemailer would wait minutes', () => {
    const options = smtpTransportOptions(mail);
    expect(options.connectionTimeout).toBeLessThanOrEqual(10_000);
    expect(options.greetingTimeout).toBeLessThanOrEqual(10_000);
    // The worker's shutdown grace (45 s, docs/operations.md) outlasts one stalled send.
    expect(options.socketTimeout).toBeLessThanOrEqual(30_000);
  });

  it('pools as many connections as the mail worker sends mails at once', () => {
    expect(smtpTransportOptions(mail)).toMatchObject({ pool: true, maxConnections: MAIL_CONCURRENCY });
  });

  it('authenticates only when a user and a password are configured, as Django does', () => {
    expect(smtpTransportOptions(mail).auth).toBeUndefined();
    expect(smtpTransportOptions({ ...mail, user: 'me' }).auth).toBeUndefined();
    expect(smtpTransportOptions({ ...mail, user: 'me', password: 'pw' }).auth).toEqual({ user: 'me', pass: 'pw' });
  });
});

describe('isPermanentRejection', () => {
  it.each([
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, permanent: true }, true],
    [{ code: 'EMESSAGE', command: 'DATA', responseCode: 554, permanent: true }, true],
    [{ code: 'EENVELOPE', command: 'API' }, true],
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 452, permanent: false }, false],
    [{ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 550, permanent: true }, false],
    [{ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, permanent: true }, false],
    [{ code: 'ESOCKET' }, false],
    [new Error('connect ECONNREFUSED 127.0.0.1:25'), false],
  ])('%j → %s', (error, permanent) => {
    expect(isPermanentRejection(error)).toBe(permanent);
  });
});
