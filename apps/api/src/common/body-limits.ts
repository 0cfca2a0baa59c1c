import { PayloadTooLargeError } from '@evently/common';

/** The largest request body the api reads, whatever its type (413 beyond). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const BODY_LIMIT_TEXT = `${BODY_LIMIT_BYTES / (1024 * 1024)} MB`;

/** More fields than any request takes, few enough that a form body cannot be cut into thousands of them. */
export const MAX_FORM_FIELDS = 32;

/**
 * Object members and array items a JSON body may hold in all, at any depth: as many as Django takes in a form, while
 * class-transformer's copy of a body costs the square of an object's keys (131,000 in a megabyte took 25 s).
 */
export const MAX_JSON_VALUES = 1000;

/** Nesting a JSON body may have: no request needs more, and class-transformer recurses once per level. */
export const MAX_JSON_DEPTH = 32;

export const tooManyFields = (limit: string | number) =>
  new PayloadTooLargeError('Too many fields.', `The limit is ${limit}.`);

export const UNSUPPORTED_MEDIA_TYPE =
  'Unsupported media type; send application/json, application/x-www-form-urlencoded or multipart/form-data.';
