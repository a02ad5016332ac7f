# hire-queue as a container: `docker build -t hire-queue .`, then `docker run hire-queue doctor`.
# Stage 1 compiles the TypeScript; stage 2 holds only the production dependencies and the output.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` builds, and the sources are not here yet: scripts run after the copy below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
# The build copies the Redis scripts (`src/lib/redis/lua`) with this script.
COPY scripts ./scripts
COPY ui ./ui
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
RUN ln -s /app/bin/hire-queue.js /usr/local/bin/hire-queue
# The image's own unprivileged user: nothing here needs root.
USER node
ENTRYPOINT ["hire-queue"]
CMD ["work"]
