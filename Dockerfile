# The gateway as an image: `docker build -t opencashier .`, then see compose.yaml and the
# README's Production section.
#
# Node 22, not 20: package.json's engines asks for >=22.12, Node 20's maintenance ended in
# April 2026, and CI runs the suite on Node 22 and 24.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim
WORKDIR /app
# HOST 0.0.0.0: the container's port must be reachable from outside it. DATA_DIR is PGlite's
# folder, used only when DATABASE_URL is unset. MALLOC_ARENA_MAX=2 is what `npm start` sets:
# about 90 MB less memory at the same speed.
ENV HOST=0.0.0.0 \
    PORT=4242 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4242
# Liveness only. Slim images have no curl, so node asks. A load balancer checks /readyz instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4242)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/cli.js", "serve"]
