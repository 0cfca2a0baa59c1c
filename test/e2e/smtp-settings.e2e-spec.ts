import { createTransport } from 'nodemailer';

import { AppConfig } from '@evently/config';
import { smtpTransportOptions } from '@evently/mail';

import { SmtpCapture } from '../support/smtp-capture';

/** The spec's EMAIL_* settings against a relay set up as many are: STARTTLS with a self-signed certificate, AUTH offered. */
describe('SMTP settings, read as Django reads them', () => {
  let relay: SmtpCapture;

  beforeAll(async () => {
    relay = await SmtpCapture.start(['STARTTLS', 'AUTH']);
  });
  afterAll(() => relay.stop());

  async function send(settings: Partial<AppConfig['mail']>, subject: string): Promise<void> {
    const mail = AppConfig.fromEnvironment({}).mail;
    const transport = createTransport(
      smtpTransportOptions({ ...mail, host: '127.0.0.1', port: relay.port, ...settings }),
    );
    try {
      await transport.sendMail({ from: mail.from, to: 'buyer@example.com', subject, text: 'hello' });
    } finally {
      transport.close();
    }
  }

  it('without EMAIL_USE_TLS, still upgrades with the STARTTLS the relay offers, whatever its certificate', async () => {
    await send({ secure: false }, 'upgraded');
    expect(relay.messages.find((message) => message.subject === 'upgraded')).toMatchObject({ overTls: true });
  });

  it('refuses to send in the clear with EMAIL_USE_TLS when the certificate cannot be trusted', async () => {
    await expect(send({ secure: true }, 'untrusted')).rejects.toThrow(/certificate/);
    expect(relay.messages.map((message) => message.subject)).not.toContain('untrusted');
  });

  it('does not log in with a user but no password', async () => {
    await send({ secure: false, user: 'evently' }, 'no login');
    expect(relay.messages.find((message) => message.subject === 'no login')).toMatchObject({ login: undefined });
  });

  it('logs in with EMAIL_HOST_USER and EMAIL_HOST_PASSWORD', async () => {
    const { user, password } = AppConfig.fromEnvironment({
      EMAIL_HOST_USER: 'evently',
      EMAIL_HOST_PASSWORD: 'correct horse',
    }).mail;
    await send({ secure: false, user, password }, 'logged in');
    expect(relay.messages.find((message) => message.subject === 'logged in')).toMatchObject({
      login: { username: 'evently', password: 'correct horse' },
    });
  });
});
