import { COMMON_PASSWORDS } from './common-passwords';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** The reasons a password is refused, as the 400's per-field messages; empty when it is acceptable. */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push(`This password is too long. It must contain at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered) || isSingleRepeatedCharacter(lowered)) {
    problems.push('This password is too common.');
  }
  if (username.length > 0 && lowered.includes(username.toLowerCase())) {
    problems.push('The password must not contain the username.');
  }
  return problems;
}

function isSingleRepeatedCharacter(password: string): boolean {
  const [first, ...rest] = [...password];
  return first !== undefined && rest.every((character) => character === first);
}
