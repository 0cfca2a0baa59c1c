import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

import { HasNoNulBytes } from '@evently/common';

export class LoginDto {
  @ApiProperty({ example: 'john_doe' })
  @IsString()
  @MinLength(1)
  @MaxLength(150)
  @HasNoNulBytes()
  username!: string;

  @ApiProperty({ example: 'correct-horse-battery' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}
