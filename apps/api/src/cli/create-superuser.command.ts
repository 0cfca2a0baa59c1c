import { createInterface } from 'node:readline/promises';

import { INestApplicationContext } from '@nestjs/common';

import { UsersService } from '@evently/users';

const FIELDS = ['username', 'email', 'password'] as const;

/** Creates a superuser; prompts for missing fields only when attached to a terminal. */
export async function createSuperuser(app: INestApplicationContext, options: Record<string, string>): Promise<string> {
  const values = { ...options };
  const missing = FIELDS.filter((field) => !values[field]);
  if (missing.length > 0) {
    if (!process.stdin.isTTY) {
      throw new Error(`missing ${missing.map((field) => `--${field}`).join(', ')} (not a terminal, so no prompt)`);
    }
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    for (const field of missing) values[field] = (await prompt.question(`${field}: `)).trim();
    prompt.close();
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
