# syntax=docker/dockerfile:1
# MovR's container image. Build: `docker build -t movr .` from the repository root.
# Run:   docker run --init -p 3000:3000 -e DATABASE_URL=postgresql://... -e SESSION_SECRET=... movr
# See docs/operations.md (container section) and deploy/ for compose files.
ARG NODE_VERSION=22

# Build stage: every dependency, then the TypeScript compiled to dist/.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bench ./bench
RUN npm run build

# Runtime stage: production dependencies only, the compiled JavaScript, the migrations.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MOVR_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/.built ./dist/.built
# The embedded database's template (initdb done at build time; src/db/embedded-engine.ts).
COPY --from=build /app/dist/pglite-template ./dist/pglite-template
COPY migrations ./migrations
COPY bin ./bin
# The embedded database's directory (used only without DATABASE_URL), writable by the app's user.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Ready means the database answers: the same check as a load balancer's. Node's own fetch; no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself (graceful shutdown: stop accepting, finish requests,
# close the pool). `docker run --init` / compose `init: true` adds a zombie reaper in front.
STOPSIGNAL SIGTERM
# --max-semi-space-size: V8's young generation sized for a server's memory (ADR 021); the same
# command as `npm start`.
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]
