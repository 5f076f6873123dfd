# syntax=docker/dockerfile:1
# cronguard: the admission webhook (`serve`, the default) and the watcher (`watch`).
#   docker build -t cronguard:dev .

# Build: all dependencies, compile TypeScript to dist/. --ignore-scripts because npm ci
# would otherwise run `prepare` (the build) before the sources are copied in.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bench ./bench
COPY policies ./policies
RUN npm run build

# Production dependencies only; --ignore-scripts again: `prepare` needs TypeScript,
# which is a dev dependency, and no runtime dependency has an install script.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Runtime: Node 24 and nothing else: no shell, no package manager. Probes are HTTP,
# preStop is a Kubernetes sleep action, so nothing needs a shell.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json marks the package root (built-in policies and the version are found from it).
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/policies ./policies
# distroless's nonroot user; numeric so runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["/nodejs/bin/node", "dist/src/cli/bin.js"]
CMD ["serve"]
