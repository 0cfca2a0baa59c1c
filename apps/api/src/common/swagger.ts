import { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  OperationObject,
  ResponseObject,
  SwaggerModule,
} from '@nestjs/swagger';

import { ErrorBody } from './error-body';

export const API_TAGS = ['auth', 'admin-events', 'admin-users', 'analytics', 'events', 'bookings', 'system'] as const;

const TOKEN_SCHEME = 'token';
const BEARER_SCHEME = 'bearer';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Evently API')
    .setDescription(
      'Event booking backend. Authenticate with `Authorization: Token <token>` (or `Bearer <token>`), ' +
        'using the token from register or login. Every error is `{"error": "...", "details": ...}`.',
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
  for (const operation of operationsOf(document)) documentWhatEveryRouteDoes(operation);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

function operationsOf(document: OpenAPIObject): OperationObject[] {
  return Object.values(document.paths).flatMap((path) => METHODS.flatMap((method) => path[method] ?? []));
}

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};

/**
 * The global guard, body limit and exception filter act on every route, so what they answer is documented here,
 * once, rather than on each route: the guard accepts `Bearer` wherever it accepts `Token`, and checks a token sent
 * to a public route too; any body over 1 MB is refused; any route answers 503 when the database is down or token
 * lookups are overloaded, and every 429 and 503 says when to retry.
 */
function documentWhatEveryRouteDoes(operation: OperationObject): void {
  const { responses } = operation;
  if (operation.security?.length) {
    operation.security = operation.security.flatMap((requirement) =>
      TOKEN_SCHEME in requirement ? [requirement, { [BEARER_SCHEME]: requirement[TOKEN_SCHEME] }] : [requirement],
    );
  } else {
    responses[401] ??= errorResponse('Only when an invalid token is sent: this route needs none, but checks one');
  }
  if (operation.requestBody) responses[413] ??= errorResponse('Body larger than 1 MB');
  responses[503] ??= errorResponse(
    'A dependency is down, or the api is overloaded or shutting down; retry after Retry-After seconds',
  );
  for (const status of [429, 503]) {
    const response = responses[status];
    if (response && 'description' in response) response.headers = { ...response.headers, ...RETRY_AFTER };
  }
}

function errorResponse(description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } } };
}
