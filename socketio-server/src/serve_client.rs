//! Serving the socket.io-client browser bundle under the server's path
//! (Node's `serveClient`): `socket.io.js`, `socket.io.min.js`,
//! `socket.io.msgpack.min.js`, `socket.io.esm.min.js` and their source
//! maps, from an installed `socket.io-client` npm package.

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use engineio_server::ResponseBody;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::Error;

/// The files Node serves, as the package's `dist/` names them.
const FILES: [&str; 8] = [
    "socket.io.esm.min.js",
    "socket.io.esm.min.js.map",
    "socket.io.js",
    "socket.io.js.map",
    "socket.io.min.js",
    "socket.io.min.js.map",
    "socket.io.msgpack.min.js",
    "socket.io.msgpack.min.js.map",
];

/// The socket.io-client browser bundle, read once from an installed
/// `socket.io-client` package and served by the server under its path
/// (`/socket.io/socket.io.js`, ...), as Node's `serveClient` does: with
/// the client's version as ETag, 304 on `If-None-Match`, and br, gzip or
/// deflate as the browser accepts (each compressed once, when first
/// asked for).
///
/// ```no_run
/// use socketio_server::{ClientBundle, Server};
/// let bundle = ClientBundle::from_package_dir("node_modules/socket.io-client")?;
/// let io = Server::builder().serve_client(bundle).build();
/// # Ok::<(), socketio_server::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBundle(Arc<Bundle>);

struct Bundle {
    version: String,
    etag: HeaderValue,
    files: HashMap<&'static str, File>,
}

struct File {
    raw: Bytes,
    br: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
    deflate: OnceLock<Bytes>,
}

impl fmt::Debug for ClientBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBundle")
            .field("version", &self.0.version)
            .finish_non_exhaustive()
    }
}

impl ClientBundle {
    /// Reads the bundle from the directory of an installed `socket.io-client`
    /// package (the one holding its `package.json` and `dist/`). A missing
    /// directory or file is an error now, not a 404 later.
    pub fn from_package_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let read = |path: PathBuf| {
            std::fs::read(&path)
                .map_err(|e| Error::ClientBundle(format!("{}: {e}", path.display())))
        };
        let manifest = read(dir.join("package.json"))?;
        let manifest: serde_json::Value = serde_json::from_slice(&manifest)
            .map_err(|e| Error::ClientBundle(format!("{}/package.json: {e}", dir.display())))?;
        let version = manifest
            .get("version")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                Error::ClientBundle(format!("{}/package.json has no version", dir.display()))
            })?
            .to_owned();
        let etag = HeaderValue::from_str(&format!("\"{version}\""))
            .map_err(|e| Error::ClientBundle(format!("version {version:?}: {e}")))?;
        let mut files = HashMap::new();
        for name in FILES {
            let raw = Bytes::from(read(dir.join("dist").join(name))?);
            files.insert(
                name,
                File {
                    raw,
                    br: OnceLock::new(),
                    gzip: OnceLock::new(),
                    deflate: OnceLock::new(),
                },
            );
        }
        Ok(Self(Arc::new(Bundle {
            version,
            etag,
            files,
        })))
    }

    /// The client's version (the ETag, quoted).
    pub fn version(&self) -> &str {
        &self.0.version
    }

    /// Whether `file` (a name under the server's path) is one of the
    /// bundle's.
    pub(crate) fn serves(&self, file: &str) -> bool {
        self.0.files.contains_key(file)
    }

    /// The response for `file` (a name under the server's path), or `None`
    /// when it is not one of the bundle's.
    pub(crate) fn respond(
        &self,
        file: &str,
        request: &HeaderMap,
    ) -> Option<Response<ResponseBody>> {
        let (name, served) = self.0.files.get_key_value(file)?;
        let etag = &self.0.etag;
        let matches = request.get(header::IF_NONE_MATCH).is_some_and(|given| {
            given == etag || given.as_bytes().strip_prefix(b"W/") == Some(etag.as_bytes())
        });
        if matches {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return Some(response);
        }
        let (body, encoding) = match preferred_encoding(request) {
            Some("br") => (
                served.br.get_or_init(|| brotli(&served.raw)).clone(),
                Some("br"),
            ),
            Some("gzip") => (
                served.gzip.get_or_init(|| gzip(&served.raw)).clone(),
                Some("gzip"),
            ),
            Some("deflate") => (
                served.deflate.get_or_init(|| deflate(&served.raw)).clone(),
                Some("deflate"),
            ),
            _ => (served.raw.clone(), None),
        };
        let mut response = Response::new(Full::new(body));
        let headers = response.headers_mut();
        let content_type = if name.ends_with(".map") {
            "application/json; charset=utf-8"
        } else {
            "application/javascript; charset=utf-8"
        };
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=0"),
        );
        headers.insert(header::ETAG, etag.clone());
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        Some(response)
    }
}

/// The encoding the client prefers among br, gzip and deflate: the highest
/// `q`, and on a tie the first of those three (as Node's `accepts` picks).
fn preferred_encoding(request: &HeaderMap) -> Option<&'static str> {
    let mut best: Option<(&'static str, f32)> = None;
    let offers = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    let mut weights: Vec<(String, f32)> = Vec::new();
    for item in offers {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        weights.push((name, q));
    }
    for candidate in ["br", "gzip", "deflate"] {
        let q = weights
            .iter()
            .find(|(name, _)| name == candidate)
            .or_else(|| weights.iter().find(|(name, _)| name == "*"))
            .map_or(0.0, |(_, q)| *q);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((candidate, q));
        }
    }
    best.map(|(name, _)| name)
}

fn brotli(raw: &[u8]) -> Bytes {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        // Writing to a Vec does not fail.
        let _ = writer.write_all(raw);
    }
    Bytes::from(out)
}

fn gzip(raw: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(raw);
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn deflate(raw: &[u8]) -> Bytes {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(raw);
    Bytes::from(encoder.finish().unwrap_or_default())
}
