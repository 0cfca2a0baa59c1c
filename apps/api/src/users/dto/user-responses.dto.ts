import { ApiProperty } from '@nestjs/swagger';

import { User } from '@evently/database';

import { INT32 } from '../../common/openapi-types';

export class RegisterResponseDto {
  @ApiProperty({ ...INT32, example: 1 }) id!: number;
  @ApiProperty({ example: 'john_doe' }) username!: string;
  @ApiProperty({ example: 'john@example.com' }) email!: string;
  @ApiProperty({ example: '9f2c…' }) token!: string;
}

export class TokenResponseDto {
  @ApiProperty({ example: '9f2c…' }) token!: string;
}

export class LogoutResponseDto {
  @ApiProperty({ example: 'logged_out' }) status!: 'logged_out';
}

export class ProfileDto {
  @ApiProperty({ ...INT32, example: 1 }) id!: number;
  @ApiProperty({ example: 'john_doe' }) username!: string;
  @ApiProperty({ example: 'john@example.com' }) email!: string;
  @ApiProperty({ example: 'John' }) first_name!: string;
  @ApiProperty({ example: 'Doe' }) last_name!: string;
  @ApiProperty({ nullable: true, type: String, example: '+1234567890' }) phone_number!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '123 Main St, City' }) address!: string | null;
  @ApiProperty() is_staff!: boolean;
  @ApiProperty() is_superuser!: boolean;
}

export function mapProfile(user: User): ProfileDto {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    phone_number: user.phoneNumber,
    address: user.address,
    is_staff: user.isStaff,
    is_superuser: user.isSuperuser,
  };
}
