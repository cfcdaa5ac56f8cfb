# Build: docker build -t authcode-demo .   (docker compose up --build does it too)

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binary: the final image has no libc. Templates (*_templ.go) and
# static files are compiled in, so the binary is all the image needs.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/authcode-demo .
# The demo API (resource server) ships in the same image: docker compose runs
# it as the service "api" with entrypoint /demo-api.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/demo-api ./cmd/demo-api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/authcode-demo /authcode-demo
COPY --from=build /out/demo-api /demo-api
# 65532: the distroless "nonroot" user.
USER nonroot:nonroot
ENV LISTEN_ADDR=:3000
EXPOSE 3000
# No shell in this image, so no HEALTHCHECK here: probe GET /healthz from outside.
ENTRYPOINT ["/authcode-demo"]
