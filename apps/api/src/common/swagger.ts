import { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  OperationObject,
  RequestBodyObject,
  ResponseObject,
  SwaggerModule,
} from '@nestjs/swagger';

import { BODY_LIMIT_TEXT, MAX_FORM_FIELDS, MAX_JSON_VALUES, UNSUPPORTED_MEDIA_TYPE } from './body-limits';
import { HEADER_LIMIT_TEXT } from './client-error';
import { ErrorBody } from './error-body';

export const API_TAGS = ['auth', 'admin-events', 'admin-users', 'analytics', 'events', 'bookings', 'system'] as const;

const TOKEN_SCHEME = 'token';
const BEARER_SCHEME = 'bearer';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type Method = (typeof METHODS)[number];
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'] as const;

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Evently API')
    .setDescription(
      'Event booking backend. Authenticate with `Authorization: Token <token>` (or `Bearer <token>`), ' +
        'using the token from register or login. Every error is `{"error": "...", "details": ...}`. ' +
        'Request bodies may be JSON, form-encoded or multipart (fields only, no files); numbers and booleans may be ' +
        'sent as text (`"2"`, `"true"`), as DRF reads them. A path that exists, asked with a method it does not take, ' +
        'is 405 with an `Allow` header naming the methods it takes. Any request is 400 when its `Host` is not in ' +
        `ALLOWED_HOSTS (as Django answers), and 431 when its request line and headers exceed ${HEADER_LIMIT_TEXT}.`,
    )
    .setVersion('1.0')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: 'Include the word Token: `Token <your-token>`',
      },
      TOKEN_SCHEME,
    )
    .addSecurity(BEARER_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description: 'The same token, sent as `Bearer <your-token>`',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBody] });
  document.tags = API_TAGS.map((name) => ({ name }));
  for (const { method, operation } of operationsOf(document)) {
    documentWhatEveryRouteDoes(operation, method);
    keepUnionParametersOneOf(operation);
  }
  if (!JSON.stringify(document).includes('"#/components/schemas/Object"')) delete document.components?.schemas?.Object;
  // The page keeps no token in the browser's storage: api tokens last until logout, and the dashboard shares the origin.
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}

function operationsOf(document: OpenAPIObject): { method: Method; operation: OperationObject }[] {
  return Object.values(document.paths).flatMap((path) =>
    METHODS.flatMap((method) => (path[method] ? [{ method, operation: path[method] }] : [])),
  );
}

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};

/**
 * The global guard, body parsers and exception filter act on every route, so what they answer is documented here,
 * once, rather than on each route: the guard accepts `Bearer` wherever it accepts `Token`, and checks a token sent
 * to a public route too; every body is read from JSON or a form alike, and refused when over 1 MB, in another type,
 * or cut into too many fields, even by a route that needs none (as DELETE and logout); any route answers 503 when
 * the database is down or token lookups are overloaded, and every 429 and 503 says when to retry.
 */
function documentWhatEveryRouteDoes(operation: OperationObject, method: Method): void {
  const { responses } = operation;
  if (operation.security?.length) {
    operation.security = operation.security.flatMap((requirement) =>
      TOKEN_SCHEME in requirement ? [requirement, { [BEARER_SCHEME]: requirement[TOKEN_SCHEME] }] : [requirement],
    );
  } else {
    responses[401] ??= errorResponse('Only when an invalid token is sent: this route needs none, but checks one');
  }
  if (operation.requestBody && 'content' in operation.requestBody) offerFormBodies(operation.requestBody);
  if (method !== 'get') {
    if (!operation.requestBody) responses[400] ??= errorResponse('A body sent anyway that is not valid JSON');
    responses[413] ??= errorResponse(
      `Body larger than ${BODY_LIMIT_TEXT}; a form body (multipart or urlencoded) of more than ${MAX_FORM_FIELDS} fields, or a JSON body of more than ${MAX_JSON_VALUES} object members and array items ("Too many fields.")`,
    );
    responses[415] ??= errorResponse(`A non-empty body of any other type: "${UNSUPPORTED_MEDIA_TYPE}"`);
  }
  responses[503] ??= errorResponse(
    'A dependency is down, or the api is overloaded or shutting down; retry after Retry-After seconds',
  );
  for (const status of [429, 503]) {
    const response = responses[status];
    if (response && 'description' in response) response.headers = { ...response.headers, ...RETRY_AFTER };
  }
}

/**
 * A query parameter whose type is a union (`page`: a number or `last`) declares its `oneOf`, but the CLI plugin makes
 * an `Object` of the union, which Nest adds as an `allOf` no value satisfies.
 */
function keepUnionParametersOneOf(operation: OperationObject): void {
  for (const parameter of operation.parameters ?? []) {
    if ('schema' in parameter && parameter.schema && 'oneOf' in parameter.schema) delete parameter.schema.allOf;
  }
}

/** JSON stays the first type, which Swagger UI starts from. */
function offerFormBodies(body: RequestBodyObject): void {
  const { schema } = body.content['application/json'];
  for (const type of FORM_TYPES) body.content[type] ??= { schema };
}

function errorResponse(description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } } };
}
