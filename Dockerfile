# syntax=docker/dockerfile:1
# target-s3 as a container: `docker run -i --rm -v $PWD/config.json:/cfg.json:ro target-s3 --config /cfg.json < input`.
# test/e2e/docker-steps.test.ts replays these steps without a Docker engine (it reads this file): keep every RUN
# line to the commands it knows (npm ci, npm run build, npm cache clean, chmod, ln -s) or teach it the new one.
ARG NODE_VERSION=22

# Build: full install (TypeScript), compile src/ to dist/.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci
COPY src ./src
RUN npm run build

# Runtime: production dependencies only (DuckDB's prebuilt glibc binary comes from npm), the compiled CLI,
# the settings schema and the Airbyte spec; runs as the image's unprivileged `node` user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /build/dist/src ./dist/src
COPY schemas ./schemas
COPY spec.json ./
RUN chmod 0755 /app/dist/src/cli.js && ln -s /app/dist/src/cli.js /usr/local/bin/target-s3
USER node
ENTRYPOINT ["target-s3"]
