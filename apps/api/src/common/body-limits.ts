/** The largest request body the api reads, whatever its type (413 beyond). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const BODY_LIMIT_TEXT = `${BODY_LIMIT_BYTES / (1024 * 1024)} MB`;

/** More fields than any request takes, few enough that a form body cannot be cut into thousands of them. */
export const MAX_FORM_FIELDS = 32;

export const UNSUPPORTED_MEDIA_TYPE =
  'Unsupported media type; send application/json, application/x-www-form-urlencoded or multipart/form-data.';
