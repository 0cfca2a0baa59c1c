import { Busboy, BusboyHeaders } from '@fastify/busboy';
import type { FastifyBodyParser } from 'fastify';

import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@evently/common';

/** More fields than any request takes, few enough that a body cannot be cut into thousands of them. */
export const MAX_FORM_FIELDS = 32;

export const UNSUPPORTED_MEDIA_TYPE =
  'Unsupported media type; send application/json, application/x-www-form-urlencoded or multipart/form-data.';

const FORBIDDEN_FIELD_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The api's `multipart/form-data` parser (DRF's default parsers read it too), for fields only. Fastify has read the
 * whole body first, within the same 1 MB as JSON, so no field is ever cut short; every part is text, whatever type it
 * names; a field sent twice becomes a list, which validation refuses where one value is expected; a file is refused.
 */
export const multipartBodyParser: FastifyBodyParser<Buffer> = (request, body, done) => {
  if (body.length === 0) return done(null, undefined);
  let form: ReturnType<typeof Busboy>;
  try {
    const limits = { parts: MAX_FORM_FIELDS, fieldSize: body.length };
    form = Busboy({ headers: request.headers as BusboyHeaders, limits });
  } catch {
    return done(new BadRequestError('Malformed multipart body.', 'It names no boundary.'));
  }
  const fields: Record<string, string | string[]> = {};
  let refusal: Error | undefined;
  let finished = false;
  const finish = (error: Error | undefined) => {
    if (finished) return;
    finished = true;
    done(error ?? null, error ? undefined : fields);
  };
  form.on('field', (name: string, value: string) => {
    if (FORBIDDEN_FIELD_NAMES.has(name)) refusal ??= new BadRequestError('Field name not allowed.', name);
    const earlier = fields[name];
    fields[name] = earlier === undefined ? value : [earlier, value].flat();
  });
  form.on('file', (_name: string, stream: NodeJS.ReadableStream) => {
    refusal ??= new BadRequestError('File uploads are not accepted.');
    stream.resume();
  });
  form.on('partsLimit', () => {
    refusal ??= new PayloadTooLargeError('Too many fields.', `The limit is ${MAX_FORM_FIELDS}.`);
  });
  form.on('error', () => finish(new BadRequestError('Malformed multipart body.')));
  form.on('finish', () => finish(refusal));
  form.end(body);
};

/**
 * Every other type is DRF's 415, unless nothing was sent: a bodiless logout or DELETE from a client that sets a
 * Content-Type anyway (fetch sends `text/plain` for an empty string) is answered as if it had none.
 */
export const otherBodyParser: FastifyBodyParser<Buffer> = (_request, body, done) =>
  body.length === 0 ? done(null, undefined) : done(new UnsupportedMediaTypeError(UNSUPPORTED_MEDIA_TYPE));
