import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Matches } from 'class-validator';

import { CharFieldText, CharLength, HasNoNulBytes } from '@evently/common';
import {
  MAX_EMAIL_LENGTH,
  MAX_USERNAME_LENGTH,
  NewUser,
  USERNAME_CHARACTERS_MESSAGE,
  USERNAME_PATTERN,
} from '@evently/users';

import { Omittable } from '../../common/omittable.decorator';

/** Text fields are read as DRF's CharField reads them (trimmed, a number as its text); the password as typed. */
export class RegisterDto {
  /** Letters and digits of any script, and @/./+/-/_; stored in Unicode NFKC, as Django stores it. */
  @ApiProperty({ example: 'john_doe', minLength: 1, maxLength: MAX_USERNAME_LENGTH })
  @CharFieldText()
  @IsString()
  @CharLength(1, MAX_USERNAME_LENGTH)
  @Matches(USERNAME_PATTERN, { message: USERNAME_CHARACTERS_MESSAGE })
  username!: string;

  @ApiProperty({ example: 'john@example.com', maxLength: MAX_EMAIL_LENGTH })
  @CharFieldText()
  @IsEmail()
  @CharLength(0, MAX_EMAIL_LENGTH)
  email!: string;

  /** 12 to 128 characters, not a common password, not containing the username. */
  @ApiProperty({ example: 'correct-horse-battery', minLength: 12, maxLength: 128 })
  @CharFieldText({ trim: false })
  @IsString()
  @HasNoNulBytes()
  @CharLength(0, 1024)
  password!: string;

  @ApiProperty({ required: false, example: 'John', maxLength: 150 })
  @CharFieldText()
  @Omittable()
  @IsString()
  @HasNoNulBytes()
  @CharLength(0, 150)
  first_name?: string;

  @ApiProperty({ required: false, example: 'Doe', maxLength: 150 })
  @CharFieldText()
  @Omittable()
  @IsString()
  @HasNoNulBytes()
  @CharLength(0, 150)
  last_name?: string;

  /** Up to 15 characters of any kind, as the original's `CharField(max_length=15)` took them. */
  @ApiProperty({ required: false, nullable: true, example: '+1234567890', maxLength: 15 })
  @CharFieldText()
  @IsOptional()
  @IsString()
  @HasNoNulBytes()
  @CharLength(0, 15)
  phone_number?: string | null;

  @ApiProperty({ required: false, nullable: true, example: '123 Main St, City', maxLength: 1000 })
  @CharFieldText()
  @IsOptional()
  @IsString()
  @HasNoNulBytes()
  @CharLength(0, 1000)
  address?: string | null;
}

/** The account fields of a register-shaped body, for the users service. */
export function toNewUser(dto: RegisterDto): NewUser {
  return {
    username: dto.username,
    email: dto.email,
    password: dto.password,
    firstName: dto.first_name,
    lastName: dto.last_name,
    phoneNumber: dto.phone_number,
    address: dto.address,
  };
}
