# Parley: one image for every role; ROLES (and the rest of the environment) picks what a container does.
# See docs/DEPLOY.md and docker-compose.yml.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (and anything else without a prebuilt binary for this platform) compiles on install.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends python3 make g++ \
	&& rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
	DATA_DIR=/data \
	HOST=0.0.0.0 \
	PORT=3000
WORKDIR /app
# ffmpeg: the RTMP ingest transcodes what OBS publishes for the SFU (without it, RTMP is unavailable).
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ffmpeg \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000 1935
# SIGTERM drains a chat node (its clients move to other nodes) before it exits: give it time
# (docker-compose.yml sets stop_grace_period above DRAIN_TIMEOUT_MS).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
	CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "build/server.js"]
