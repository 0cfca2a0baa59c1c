import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

import { CharFieldText, CharLength, HasNoNulBytes } from '@evently/common';

/** Read as DRF's CharField reads them: the username trimmed (a keyboard's autocomplete adds a space), the password not. */
export class LoginDto {
  @ApiProperty({ example: 'john_doe', minLength: 1, maxLength: 150 })
  @CharFieldText()
  @IsString()
  @CharLength(1, 150)
  @HasNoNulBytes()
  username!: string;

  @ApiProperty({ example: 'correct-horse-battery', minLength: 1, maxLength: 1024 })
  @CharFieldText({ trim: false })
  @IsString()
  @CharLength(1, 1024)
  password!: string;
}
