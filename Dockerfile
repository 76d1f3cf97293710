# One image for the API, the worker and the projector; docker-compose picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly (it is a runtime dependency); dev tools are not installed.
RUN npm ci --omit=dev && npm cache clean --force
COPY config ./config
COPY infra ./infra
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY readside ./readside
COPY composition ./composition
COPY domain ./domain
COPY eventstore ./eventstore
COPY api ./api
COPY servers ./servers
COPY tsconfig.json ./
# The operator console, built into console/dist (esbuild and the front-end packages are runtime
# dependencies, so the production install has them); the API serves it at /console.
COPY console ./console
RUN npx tsx console/build.ts
USER node
CMD ["node", "--import", "tsx", "api/main.ts"]
