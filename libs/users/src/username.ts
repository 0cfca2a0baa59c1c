/** Letters and digits of any script, and @/./+/-/_: what Django's username validator allows. */
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u;
export const USERNAME_CHARACTERS_MESSAGE = 'username may contain only letters, digits and @/./+/-/_';
/** The most characters a username may have (the column's length). */
export const MAX_USERNAME_LENGTH = 150;

/**
 * The form a username is stored, looked up and rate-limited in: Unicode NFKC, as Django's `normalize_username`, so
 * that look-alike spellings (full-width letters, ligatures) name one account.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC');
}

/** What is wrong with a normalised username: NFKC can lengthen a name or turn a letter into spaces. */
export function usernameProblems(normalized: string): string[] {
  const problems = USERNAME_PATTERN.test(normalized) ? [] : [USERNAME_CHARACTERS_MESSAGE];
  if ([...normalized].length > MAX_USERNAME_LENGTH) {
    problems.push(`username must be shorter than or equal to ${MAX_USERNAME_LENGTH} characters`);
  }
  return problems;
}
