# The image deploy/serve runs (`leaselint serve`), and a way to run any leaselint command in a
# container: `docker build -t ghcr.io/leaselint/leaselint:0.1.0 .` (the tag deploy/serve names;
# push it to your registry and change the image there, or with `kustomize edit set image`).
# Not built by this repository's CI: its machines have no container runtime.
#
# Build: the toolchain the project uses (Rust 1.95, Debian bookworm), the locked dependencies,
# no debug line tables (a smaller binary). Run: distroless `cc` (glibc, libgcc_s: what the
# binary links; `ldd target/release/leaselint`), as its user nonroot (65532), which the
# Deployment's securityContext also asks for.
FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release --locked \
    && cp target/release/leaselint /leaselint

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /leaselint /usr/local/bin/leaselint
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/leaselint"]
