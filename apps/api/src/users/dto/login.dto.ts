import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

import { CharLength, HasNoNulBytes } from '@evently/common';

export class LoginDto {
  @ApiProperty({ example: 'john_doe', minLength: 1, maxLength: 150 })
  @IsString()
  @CharLength(1, 150)
  @HasNoNulBytes()
  username!: string;

  @ApiProperty({ example: 'correct-horse-battery', minLength: 1, maxLength: 1024 })
  @IsString()
  @CharLength(1, 1024)
  password!: string;
}
