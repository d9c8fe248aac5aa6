# mlalert in a container, for GitLab CI and other container-based runners.
#
#   docker build -t mlalert .                   alpine: a shell and git, as a
#                                               GitLab CI job's `script:` and
#                                               --diff-base need
#   docker build --target scratch -t mlalert .  the static binary alone
#
# The binary is built by scripts/release-build.sh, the same way as the
# release assets: static (musl), for the architecture of the build.

FROM rust:1-alpine AS build
RUN apk add --no-cache bash musl-dev
WORKDIR /src
COPY . .
RUN scripts/release-build.sh "$(uname -m)-unknown-linux-musl" /dist \
    && tar -xzf /dist/mlalert-v*.tar.gz -C /usr/local/bin \
    && /usr/local/bin/mlalert --version

# The binary on an empty base: `docker run --rm -v "$PWD:/work" IMAGE lint .`
FROM scratch AS scratch
COPY --from=build /usr/local/bin/mlalert /usr/local/bin/mlalert
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/mlalert"]

# The default image. No ENTRYPOINT: GitLab runs a job's `script:` with the
# image's shell (`docker run IMAGE mlalert lint .` works the same).
FROM alpine:3 AS default
RUN apk add --no-cache git
COPY --from=build /usr/local/bin/mlalert /usr/local/bin/mlalert
WORKDIR /work
CMD ["mlalert", "--help"]
