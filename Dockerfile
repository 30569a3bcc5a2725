# syntax=docker/dockerfile:1
# target-s3 as a container: `docker run -i --rm -v $PWD/config.json:/cfg.json:ro target-s3 --config /cfg.json < input`.
# test/e2e/docker-steps.test.ts replays these steps without a Docker engine (it reads this file): keep every RUN
# line to the commands it knows (npm ci, npm run build, npm cache clean, chmod, ln -s) or teach it the new one.
# Pinned to a patch release so a rebuild gets the same Node (bump it on purpose; newest 22.x on 2026-12-04).
ARG NODE_VERSION=22.23.3

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
# Airbyte reads the connector's name and version from these labels and runs `$AIRBYTE_ENTRYPOINT spec|check|write`;
# io.airbyte.version and org.opencontainers.image.version follow package.json (a test compares them).
LABEL io.airbyte.name="target-s3/destination-target-s3" \
      io.airbyte.version="0.1.0" \
      org.opencontainers.image.title="target-s3" \
      org.opencontainers.image.description="Singer and Airbyte destination: CSV, Parquet, JSON Lines or JSON files in Amazon S3 or any S3-compatible store" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.source="https://github.com/target-s3/target-s3" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    AIRBYTE_ENTRYPOINT="target-s3"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /build/dist/src ./dist/src
COPY schemas ./schemas
COPY spec.json ./
RUN chmod 0755 /app/dist/src/cli.js && ln -s /app/dist/src/cli.js /usr/local/bin/target-s3
USER node
ENTRYPOINT ["target-s3"]
