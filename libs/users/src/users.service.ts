import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { BadRequestError } from '@evently/common';
import { postgresErrorCode, PG_UNIQUE_VIOLATION, User } from '@evently/database';

import { passwordHasher } from './password-hasher';
import { passwordProblems } from './password-policy';
import { normalizeUsername, usernameProblems } from './username';

/** The longest email an account may have (the column's length). */
export const MAX_EMAIL_LENGTH = 254;

export interface NewUser {
  username: string;
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
  phoneNumber?: string | null;
  address?: string | null;
}

export interface Roles {
  isStaff: boolean;
  isSuperuser: boolean;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Creates an account after the password policy; roles come only from the caller, never the request. */
  async create(input: NewUser, roles: Roles = { isStaff: false, isSuperuser: false }): Promise<User> {
    const username = normalizeUsername(input.username);
    const nameProblems = usernameProblems(username);
    if (nameProblems.length > 0) throw new BadRequestError('Validation failed.', { username: nameProblems });
    const problems = passwordProblems(input.password, username);
    if (problems.length > 0) throw new BadRequestError('Invalid password.', { password: problems });
    const user = this.users.create({
      username,
      email: normalizeEmail(input.email),
      password: await passwordHasher.hash(input.password),
      firstName: input.firstName ?? '',
      lastName: input.lastName ?? '',
      phoneNumber: input.phoneNumber ?? null,
      address: input.address ?? null,
      ...roles,
    });
    try {
      return await this.users.save(user);
    } catch (error) {
      if (postgresErrorCode(error) === PG_UNIQUE_VIOLATION) {
        throw new BadRequestError('Validation failed.', { username: ['A user with that username already exists.'] });
      }
      throw error;
    }
  }

  /** The user with that username and the stored password hash, for login only. */
  findWithPassword(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.password')
      .where('user.username = :username', { username: normalizeUsername(username) })
      .getOne();
  }

  async recordLogin(userId: number): Promise<void> {
    await this.users.update({ id: userId }, { lastLogin: () => 'now()' });
  }
}

/** The domain lower-cased and the mailbox kept as typed, as Django's `normalize_email` stores an address. */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at) + email.slice(at).toLowerCase();
}
