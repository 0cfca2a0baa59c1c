import * as argon2 from 'argon2';

/** argon2id with OWASP's parameters (19 MiB, t=2, p=1). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A valid hash of a random password, so an unknown username costs as much as a wrong password. */
let dummyHash: Promise<string> | undefined;

export const passwordHasher = {
  hash: (password: string): Promise<string> => argon2.hash(password, OPTIONS),

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    if (!hash) {
      dummyHash ??= argon2.hash('evently-timing-equaliser', OPTIONS);
      await argon2.verify(await dummyHash, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  },
};
