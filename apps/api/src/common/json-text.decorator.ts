import { applyDecorators, Header, Type } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';

export const JSON_TEXT_TYPE = 'application/json; charset=utf-8';

/**
 * For a route whose handler returns JSON text it already holds (a cached answer): sent as it is, with the
 * content type of any other JSON answer, and documented as the DTO the text holds.
 */
export const JsonText = (type: Type<unknown>) =>
  applyDecorators(Header('Content-Type', JSON_TEXT_TYPE), ApiOkResponse({ type }));
