//! End-to-end tests of the proxy over real sockets: an in-process hyper upstream (and nginx
//! where installed), the proxy started in process, and real clients (reqwest, curl, raw TCP).
//! One module per area, as linkerd2-proxy's integration tests are organised.

#[path = "support/mod.rs"]
mod support;

#[path = "proxy_e2e/transparency.rs"]
mod transparency;

#[path = "proxy_e2e/redaction.rs"]
mod redaction;

#[path = "proxy_e2e/blocking.rs"]
mod blocking;

#[path = "proxy_e2e/archives.rs"]
mod archives;

#[path = "proxy_e2e/faults.rs"]
mod faults;

#[path = "proxy_e2e/tls.rs"]
mod tls;

#[path = "proxy_e2e/nginx.rs"]
mod nginx;

#[path = "proxy_e2e/demo.rs"]
mod demo;

#[path = "proxy_e2e/hygiene.rs"]
mod hygiene;

#[path = "proxy_e2e/conditional.rs"]
mod conditional;
