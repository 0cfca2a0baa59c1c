import { HttpStatus, ParseIntPipe, ParseUUIDPipe } from '@nestjs/common';

/** A malformed id in a path is an unknown id: 404, as the contract says. */
export const UuidParam = new ParseUUIDPipe({ version: 'all', errorHttpStatusCode: HttpStatus.NOT_FOUND });
export const IntIdParam = new ParseIntPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND });
