# Saker's container image. Multi-stage: the Rust toolchain only builds; the runtime stage holds
# the binary, CA certificates and the demo scenarios, and runs as an unprivileged user.
#
#   docker build --build-arg SAKER_GIT_COMMIT=$(git rev-parse HEAD) -t saker .
#   docker run --rm saker token create --name me --role admin     # prints a token and its hash
#   docker run -p 7878:7878 -e SAKER_API_TOKENS=me:admin:<sha256> saker
#
# The default command is `saker serve` on 0.0.0.0:7878 (SAKER_LISTEN), which Saker refuses
# without API tokens: a public address must never answer anyone. The test
# `deploy::dockerfile_commands_work_here` runs this file's runtime commands on the build machine.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-trixie AS build
WORKDIR /src
COPY . .
# No .git in the build context: the commit for `saker --version` comes from this argument.
ARG SAKER_GIT_COMMIT=""
RUN SAKER_GIT_COMMIT="${SAKER_GIT_COMMIT}" cargo build --release --locked -p saker --bin saker \
    && install -m 0755 target/release/saker /usr/local/bin/saker

FROM debian:trixie-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/saker --create-home --shell /usr/sbin/nologin saker
COPY --from=build /usr/local/bin/saker /usr/local/bin/saker
ENV SAKER_DATA_DIR=/var/lib/saker \
    SAKER_LISTEN=0.0.0.0:7878 \
    SAKER_LOG=info \
    SAKER_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/saker
# The demo scenarios, loaded into the image's data directory (a volume mounted there replaces
# them with the operator's own store).
RUN saker demo
VOLUME ["/var/lib/saker"]
EXPOSE 7878
ENTRYPOINT ["saker"]
CMD ["serve"]
