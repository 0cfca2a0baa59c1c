# syntax=docker/dockerfile:1
# One build, two runtime images:
#   docker build --target api -t evently-api .        the HTTP api (also carries the CLI: migrate, createsuperuser)
#   docker build --target worker -t evently-worker .  the BullMQ worker
# docker-compose.yml builds both; see it for a complete stack.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's preinstall checks the Node.js version first.
COPY tools/supported-node.mjs ./tools/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# What both runtime images share: production dependencies only, code owned by root, run as `node`.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY tools/docker-healthcheck.mjs ./tools/
USER node

FROM runtime AS worker
COPY --from=build /app/dist/apps/worker ./dist/apps/worker
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "tools/docker-healthcheck.mjs", "worker"]
CMD ["node", "--min-semi-space-size=16", "--max-semi-space-size=16", "--heap-growing-percent=50", "dist/apps/worker/apps/worker/src/main.js"]

# Last, so a plain `docker build .` gives the api.
FROM runtime AS api
COPY --from=build /app/dist/apps/api ./dist/apps/api
ENV PORT=8000
EXPOSE 8000
# Passes while the api serves with its database and Redis up (a missing worker only delays bookings).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "tools/docker-healthcheck.mjs", "api"]
CMD ["node", "--min-semi-space-size=16", "--max-semi-space-size=16", "--heap-growing-percent=50", "dist/apps/api/apps/api/src/main.js"]
