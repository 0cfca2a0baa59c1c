import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

import { CharLength, HasNoNulBytes, CharFieldText } from '@evently/common';

/** The username is trimmed, as DRF's fields are (a keyboard's autocomplete adds a space); the password never. */
export class LoginDto {
  @ApiProperty({ example: 'john_doe', minLength: 1, maxLength: 150 })
  @CharFieldText()
  @IsString()
  @CharLength(1, 150)
  @HasNoNulBytes()
  username!: string;

  @ApiProperty({ example: 'correct-horse-battery', minLength: 1, maxLength: 1024 })
  @IsString()
  @CharLength(1, 1024)
  password!: string;
}
