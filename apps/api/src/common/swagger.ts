import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const API_TAGS = ['auth', 'admin-events', 'admin-users', 'analytics', 'events', 'bookings', 'system'] as const;

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Evently API')
    .setDescription(
      'Event booking backend. Authenticate with `Authorization: Token <token>` (or `Bearer <token>`), ' +
        'using the token from register or login. Every error is `{"error": "...", "details": ...}`.',
    )
    .setVersion('1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <your-token>' }, 'token')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.tags = API_TAGS.map((name) => ({ name }));
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
