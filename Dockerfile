# Sluice container image: multi-stage, distroless runtime, non-root.
#
#   docker build -t ghcr.io/sluice-dlp/sluice:0.1.0 .
#
# NOT BUILT IN CI: the machines this repository is developed on have no Docker engine, so this
# file is deliberately plain (no cache mounts, no cross-compilation) and has never been run
# here; treat the first real build as its test. The Helm chart's default image
# (helm/sluice/values.yaml: image.repository/tag) refers to what it produces.
#
# The built-in rule packs are compiled into the binary (include_str!), so the image works with
# no files around it; they are also copied to /usr/share/sluice/packs for reference and for
# `sluice rules check /usr/share/sluice/packs`. Site packs and the proxy configuration come
# from the chart's ConfigMaps under /etc/sluice/.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY rules ./rules
COPY proxy ./proxy
# Workspace members' test/bench files are referenced by Cargo.toml targets; copy what exists.
COPY tests ./tests
RUN cargo build --release --locked -p sluice-proxy \
 && install -D -m 0755 target/release/sluice /out/usr/local/bin/sluice \
 && mkdir -p /out/usr/share/sluice /out/etc/sluice/rules /out/etc/sluice/policy \
 && cp -r rules/packs /out/usr/share/sluice/packs \
 && cp proxy/examples/full.yaml /out/usr/share/sluice/full.yaml

# distroless/cc: glibc + libgcc + CA certificates, no shell; the :nonroot tag runs as 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["run", "--config", "/etc/sluice/config/sluice.yaml"]
