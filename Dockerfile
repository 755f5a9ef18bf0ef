# Image of one catdog-live replica. docker-compose.yml runs several of them behind HAProxy
# with Redis; `docker run -p 4000:4000 IMAGE` runs a single replica with in-memory sessions.
#
# Node.js 22 LTS on Debian (glibc), not Alpine: tfjs-node publishes no musl build.
# scripts/docker-test.sh reads the image names from the FROM lines below.

# ---- Build stage: dependencies, model, compiled server and web client ----
FROM node:22.23.5-bookworm-slim AS build
WORKDIR /app

# Manifests first, in their own layer, so that a source change does not reinstall packages.
# --ignore-scripts skips the package's own postinstall, which needs the sources copied
# below; no dependency of the build needs its install script (sharp, esbuild and rolldown
# ship prebuilt binaries as optional dependencies).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# The model in its own layer, rebuilt only when the manifest or the fetch script changes.
# fetch-model verifies every file's SHA-256 against models/manifest.json.
COPY scripts/fetch-model.mjs scripts/
COPY models/manifest.json models/coco-labels.json models/
RUN node scripts/fetch-model.mjs && rm -rf models/.cache

COPY . .
RUN npm run build

# ---- Development stage: the build stage plus watchers, used by docker-compose.dev.yml ----
# tsc and vite rebuild dist/ when a mounted source changes, and node --watch restarts the
# server when dist/ changes, so the server runs the same layout as in the runtime stage.
FROM build AS dev
ENV NODE_ENV=development PORT=4000 HOST=0.0.0.0
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["sh", "-c", "npx tsc -p tsconfig.build.json --watch --preserveWatchOutput & npx vite build --watch & exec node --watch dist/server/main.js"]

# ---- Runtime stage: production dependencies, compiled output and the model only ----
FROM node:22.23.5-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# tfjs-node is an optional dependency: its install script downloads TensorFlow's native
# library, and the server uses it when it loads. When the download fails, or the build
# sets TFJS_NODE=skip, the package is removed and the server runs on the wasm backend.
# NOTE: scripts/docker-test.sh builds with TFJS_NODE=skip, so the native path is untested.
ARG TFJS_NODE=try
RUN if [ "$TFJS_NODE" = try ] && npm rebuild @tensorflow/tfjs-node; then \
      echo "tfjs-node installed: inference runs on the native TensorFlow backend"; \
    else \
      rm -rf node_modules/@tensorflow/tfjs-node; \
      echo "tfjs-node not installed (TFJS_NODE=$TFJS_NODE): inference runs on the wasm backend"; \
    fi

COPY --from=build /app/dist dist
COPY --from=build /app/models models

# A dedicated user without a login shell runs the server; it only reads /app.
RUN groupadd --system catdog && useradd --system --gid catdog --home-dir /app --shell /usr/sbin/nologin catdog
USER catdog

ENV PORT=4000 HOST=0.0.0.0
EXPOSE 4000

# /healthz responds as soon as the server listens, also while the model loads; load
# balancers use /readyz. The slim image has no curl, so Node.js itself sends the request.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node runs as PID 1 without a shell in between, so SIGTERM from `docker stop` reaches
# the server, which closes sockets, finishes in-flight frames and closes Redis.
CMD ["node", "dist/server/main.js"]
