# syntax=docker/dockerfile:1
#
# jifen container image: compiled JavaScript on Node, no TypeScript tooling at run time.
#   docker build -t jifen .
#   docker run -p 3000:3000 -v jifen-data:/data jifen                     (embedded PGlite in /data)
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… jifen            (external PostgreSQL)
#   docker exec <container> node dist/scripts/token.js --role admin --sub ops
#   docker exec <container> node dist/scripts/migrate.js                  (also: keys.js, verify.js)
ARG NODE_IMAGE=node:22-bookworm-slim

# Compiles src/ and the operator scripts to dist/ (tsc type-checks them on the way) and copies the
# non-TypeScript files under src/ beside the output.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# Only the run-time dependencies: no tsx, no TypeScript, no test tools.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=160 --enable-source-maps" \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json marks the compiled files as ES modules and is how the service finds sql/ from dist/.
COPY package.json ./
COPY sql ./sql
COPY --from=build /app/dist ./dist
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
CMD ["node", "dist/src/main.js"]
