import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

import { CharLength, HasNoNulBytes } from '@evently/common';

import { INT32 } from '../../common/openapi-types';
import { RegisterDto } from '../../users/dto/register.dto';

export { toNewUser } from '../../users/dto/register.dto';

/** The register body; the account is always staff and never superuser (role fields are ignored). */
export class CreateStaffDto extends RegisterDto {}

export class BulkDeleteUsersDto {
  /** At least 3 characters, matched literally at the start of usernames (`%` and `_` are not wildcards). */
  @ApiProperty({ example: 'test_', minLength: 3, maxLength: 150 })
  @IsString()
  @CharLength(3, 150)
  @HasNoNulBytes()
  prefix!: string;
}

export class BulkDeleteResultDto {
  @ApiProperty({ ...INT32, example: 25 }) deleted_users!: number;
  @ApiProperty({ example: 'test_' }) prefix!: string;
}
