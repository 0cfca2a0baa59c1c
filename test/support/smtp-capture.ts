import { AddressInfo } from 'node:net';

import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

export interface CapturedMail {
  /** Addresses from the SMTP envelope (RCPT TO), which is who actually receives the message. */
  envelopeTo: string[];
  /** Header names lower-cased, folded lines joined, encoded words decoded. */
  headers: Record<string, string>;
  subject: string;
  text: string;
  html: string;
  /** When the server had read it whole (ms since the epoch). */
  receivedAt: number;
  /** Whether it came over a connection upgraded with STARTTLS. */
  overTls?: boolean;
  /** The credentials the sender logged in with (AUTH), if it did. */
  login?: { username?: string; password?: string | null };
}

interface HeldMessage {
  mail: CapturedMail;
  reply: (error?: Error | null) => void;
}

/**
 * A real SMTP server on loopback that keeps every message it accepts. It can go down and come back on the
 * same port, reject chosen recipients with a 550, and hold messages: read the whole DATA, then withhold the
 * final reply, so the sender is caught in the middle of a send.
 */
export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  readonly held: HeldMessage[] = [];
  /** While true, each message is held instead of accepted. */
  holding = false;
  /** Recipients refused at RCPT TO with a permanent 550. */
  readonly rejected = new Set<string>();
  /** SMTP connections accepted so far. */
  connections = 0;
  port = 0;
  private server?: SMTPServer;

  /** `offering` turns on commands a real relay offers: STARTTLS (with smtp-server's self-signed certificate), AUTH. */
  static async start(offering: ('STARTTLS' | 'AUTH')[] = []): Promise<SmtpCapture> {
    const capture = new SmtpCapture(offering);
    await capture.listen();
    return capture;
  }

  private constructor(private readonly offering: string[]) {}

  /** Starts listening, on the same port as before after a {@link stop}. */
  async listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'].filter((command) => !this.offering.includes(command)),
      logger: false,
      closeTimeout: 100,
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onRcptTo: (address, _session, callback) => {
        if (!this.rejected.has(address.address.toLowerCase())) return callback();
        callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      },
      // Any credentials are taken; the session's user keeps them, for each message sent in it to show.
      onAuth: ({ username, password }, _session, callback) => callback(null, { user: { username, password } }),
      onData: (stream, session, callback) => this.receive(stream, session, callback),
    });
    // A sender's connection reset (a worker the suites kill mid-session) is an 'error' on the server: without a
    // listener it would fail whichever test file is running, after its tests passed.
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Goes down: refuses new connections and cuts the open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers the held messages `which` picks (all by default): accepted (captured) or refused. */
  release(accept: boolean, which: (mail: CapturedMail) => boolean = () => true): void {
    const released = this.held.filter(({ mail }) => which(mail));
    this.held.splice(0, this.held.length, ...this.held.filter((message) => !released.includes(message)));
    for (const { mail, reply } of released) {
      if (accept) this.messages.push(mail);
      reply(accept ? null : new Error('not accepted'));
    }
  }

  to(address: string): CapturedMail[] {
    return this.messages.filter((mail) => mail.envelopeTo.includes(address.toLowerCase()));
  }

  private receive(stream: SMTPServerDataStream, session: SMTPServerSession, reply: (error?: Error | null) => void) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const mail = parseMessage(
        Buffer.concat(chunks).toString('utf8'),
        session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
      );
      mail.overTls = session.secure;
      mail.login = session.user || undefined;
      if (this.holding) return void this.held.push({ mail, reply });
      this.messages.push(mail);
      reply();
    });
  }
}

/** Just enough MIME for nodemailer's output: headers, multipart bodies, base64 and quoted-printable. */
export function parseMessage(raw: string, envelopeTo: string[]): CapturedMail {
  const { headers, body } = splitEntity(raw.replace(/\r\n/g, '\n'));
  const leaves = leafParts(headers, body);
  const partOfType = (type: string) => leaves.find((leaf) => leaf.type === type)?.content ?? '';
  return {
    envelopeTo,
    headers,
    subject: headers.subject ?? '',
    text: partOfType('text/plain'),
    html: partOfType('text/html'),
    receivedAt: Date.now(),
  };
}

function splitEntity(entity: string): { headers: Record<string, string>; body: string } {
  const end = entity.indexOf('\n\n');
  const head = end === -1 ? entity : entity.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body: end === -1 ? '' : entity.slice(end + 2) };
}

function leafParts(headers: Record<string, string>, body: string): { type: string; content: string }[] {
  const contentType = headers['content-type'] ?? 'text/plain';
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (!type.startsWith('multipart/')) {
    return [{ type, content: decodeBody(body, headers['content-transfer-encoding'] ?? '7bit') }];
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1] ?? '';
  return body
    .split(`--${boundary}`)
    .slice(1, -1)
    .flatMap((part) => {
      const entity = splitEntity(part.replace(/^\n/, ''));
      return leafParts(entity.headers, entity.body);
    });
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return fromHexBytes(body.replace(/=\n/g, ''), /=([0-9a-f]{2})/gi).replace(/\n$/, '');
    default:
      return body.replace(/\n$/, '');
  }
}

/** RFC 2047 encoded words, as nodemailer writes non-ASCII headers. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_match, _charset, kind: string, text: string) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : fromHexBytes(text.replace(/_/g, ' '), /=([0-9a-f]{2})/gi),
    );
}

function fromHexBytes(text: string, escape: RegExp): string {
  const binary = text.replace(escape, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(binary, 'latin1').toString('utf8');
}
