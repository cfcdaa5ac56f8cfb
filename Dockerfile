# Build: docker build -t authcode-demo .   (docker compose up --build does it too)

FROM golang:1.26 AS build
WORKDIR /src
COPY . .
# Static binaries: the final image has no libc. Templates (*_templ.go) and
# static files are compiled in, so the binaries are all the image needs.
# `go build` downloads only the modules these two programs import (not
# `go mod download`, which would also fetch what only the tests use: a
# browser driver, compose-go, ...); the cache mounts keep the modules and
# the build cache from one build to the next.
# The demo API (resource server) ships in the same image: docker compose runs
# it as the service "api" with entrypoint /demo-api. So does the seed app
# (cmd/seed, deliberately insecure, the attack lab's target): the service
# "seed" of the profile lab, entrypoint /seed.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/authcode-demo . && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/demo-api ./cmd/demo-api && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/seed ./cmd/seed

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/authcode-demo /authcode-demo
COPY --from=build /out/demo-api /demo-api
COPY --from=build /out/seed /seed
# 65532: the distroless "nonroot" user.
USER nonroot:nonroot
ENV LISTEN_ADDR=:3000
EXPOSE 3000
# No shell in this image, so no HEALTHCHECK here: probe GET /healthz from outside.
ENTRYPOINT ["/authcode-demo"]
