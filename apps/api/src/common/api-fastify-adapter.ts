import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

type SecurityHook = Parameters<FastifyAdapter['registerSecurityHook']>[0];

/**
 * Nest's Fastify adapter, keeping the security headers' hook at hand for the router's refusals: the router answers
 * them before any hook runs, and Nest's own `frameworkErrors`, which applies the hook there, gives way to the api's
 * (which answers in the error shape).
 */
export class ApiFastifyAdapter extends FastifyAdapter {
  private securityHeaders?: SecurityHook;

  override registerSecurityHook(hook: SecurityHook): void {
    this.securityHeaders = hook;
    super.registerSecurityHook(hook);
  }

  applySecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
    this.securityHeaders?.(request, reply.raw);
  }
}
