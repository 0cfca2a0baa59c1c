import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

import { INestApplicationContext } from '@nestjs/common';
import { isEmail } from 'class-validator';

import { MAX_EMAIL_LENGTH, UsersService } from '@evently/users';

const FIELDS = ['username', 'email', 'password'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Creates a superuser; the password comes from standard input with `--password-stdin`, and fields still missing are
 * asked for only when attached to a terminal.
 */
export async function createSuperuser(
  app: INestApplicationContext,
  options: Record<string, string | boolean | undefined>,
): Promise<string> {
  const given: Partial<Record<Field, string>> = {
    username: options.username as string | undefined,
    email: options.email as string | undefined,
    password: options['password-stdin'] ? await passwordFromStdin() : (options.password as string | undefined),
  };
  if (options.password !== undefined) {
    console.error('warning: --password is visible to other users in the process list; prefer --password-stdin');
  }
  const missing = FIELDS.filter((field) => !given[field]);
  const asked = missing.length > 0 ? await askInTerminal(missing) : {};
  // Every field is now given or asked for: askInTerminal throws rather than leave one out.
  const values = { ...given, ...asked } as Record<Field, string>;
  if (!isEmail(values.email) || values.email.length > MAX_EMAIL_LENGTH) {
    throw new Error(`"${values.email}" is not a valid email address`);
  }
  const users = app.get(UsersService);
  if (await users.findWithPassword(values.username)) {
    throw new Error(`a user named "${values.username}" already exists`);
  }
  const user = await users.create(
    { username: values.username, email: values.email, password: values.password },
    { isStaff: true, isSuperuser: true },
  );
  return `Superuser "${user.username}" created (id ${user.id}).`;
}

/** All of standard input, less the line break `echo` or a file ends it with (a password's spaces are its own). */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new Error('--password-stdin reads a password piped in; in a terminal, leave it out to be asked for one');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!password) throw new Error('standard input gave no password');
  return password;
}

async function askInTerminal(fields: readonly Field[]): Promise<Partial<Record<Field, string>>> {
  if (!process.stdin.isTTY) {
    const pipe = fields.includes('password') ? '; pipe the password in with --password-stdin' : '';
    throw new Error(`missing ${fields.map((field) => `--${field}`).join(', ')} (not a terminal, so no prompt${pipe})`);
  }
  const prompt = terminalPrompt();
  const answers: Partial<Record<Field, string>> = {};
  try {
    for (const field of fields) {
      answers[field] = field === 'password' ? await askPasswordTwice(prompt) : await prompt.ask(`${field}: `);
    }
  } finally {
    prompt.close();
  }
  return answers;
}

/** Twice, because a typo in an unseen password would otherwise go unnoticed until the first login fails. */
async function askPasswordTwice(prompt: TerminalPrompt): Promise<string> {
  const password = await prompt.askUnseen('password: ');
  if ((await prompt.askUnseen('password (again): ')) !== password) throw new Error('the two passwords differ');
  return password;
}

type TerminalPrompt = ReturnType<typeof terminalPrompt>;

/**
 * A readline prompt that can keep an answer off the screen: in raw mode the terminal echoes nothing itself, and
 * readline's own echo goes to an output that is muted while the answer is typed.
 */
function terminalPrompt() {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  // No history: it would keep the password in memory. Ctrl-C in raw mode reaches readline, not the process.
  const readline = createInterface({ input: process.stdin, output, terminal: true, historySize: 0 });
  const cancel = new AbortController();
  readline.on('SIGINT', () => cancel.abort(new Error('cancelled')));
  const answer = (question: string) => readline.question(question, { signal: cancel.signal });
  return {
    ask: async (question: string) => (await answer(question)).trim(),
    /** Not trimmed: a password's spaces are its own, as the API keeps them. */
    askUnseen: async (question: string) => {
      process.stdout.write(question);
      muted = true;
      try {
        return await answer('');
      } finally {
        muted = false;
        process.stdout.write('\n');
      }
    },
    close: () => readline.close(),
  };
}
