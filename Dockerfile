# syntax=docker/dockerfile:1
#
# jifen container image.
#   docker build -t jifen .
#   docker run -p 3000:3000 -v jifen-data:/data jifen                     (embedded PGlite in /data)
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… jifen            (external PostgreSQL)
#   docker exec <container> node --import tsx scripts/token.ts --role admin --sub ops
#
# The service runs its TypeScript through tsx (a runtime dependency), so there is no compile
# output to copy; the build stage exists to install with the lock file and to refuse an image
# whose code does not typecheck.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json vitest.config.ts eslint.config.js ./
COPY src ./src
COPY sql ./sql
COPY scripts ./scripts
COPY test ./test
RUN npm run typecheck

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=160 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# Copied from the build stage (not the context) so the typecheck above must have passed.
COPY --from=build /app/package.json /app/package-lock.json /app/tsconfig.json ./
COPY --from=build /app/src ./src
COPY --from=build /app/sql ./sql
COPY --from=build /app/scripts ./scripts
# Data (the embedded database and generated signing keys) lives in a volume the service user owns;
# the code itself stays owned by root and read-only to that user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Slim images have no curl; Node's own fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# node is PID 1 and receives SIGTERM directly (npm would not forward it), so shutdown drains cleanly.
CMD ["node", "--import", "tsx", "src/main.ts"]
