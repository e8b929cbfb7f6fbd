//! [`S3Store`]: the [`Store`] for AWS S3 and S3-compatible servers, on the `object_store` crate
//! (Apache Arrow): one HTTP client (reqwest, rustls on ring), retries with backoff, multipart parts in
//! flight at once.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload,
    WriteMultipart,
};
use tokio::io::AsyncReadExt;

use super::{LocalFile, PART_SIZE, PublishError, RemoteObject, Store, Target};

/// Parts of one multipart upload in flight at once.
pub const PARTS_IN_FLIGHT: usize = 4;

/// Environment variables for credentials `object_store` fetches itself (web identity, ECS/EKS).
const DELEGATED_ENV: [&str; 7] = [
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL_STS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// A bucket on AWS S3 or an S3-compatible server (MinIO, Ceph, Garage, Scality, moto, …).
///
/// Credentials come from the standard places, in this order: `AWS_ACCESS_KEY_ID` +
/// `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`, profile `AWS_PROFILE` or `default`);
/// web identity (`AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`); the ECS/EKS container endpoint; and
/// the EC2 instance metadata service (only on EC2).
pub struct S3Store {
    store: Arc<AmazonS3>,
    bucket: String,
    endpoint: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("bucket", &self.bucket).field("endpoint", &self.endpoint).finish()
    }
}

/// What a `HEAD` request tells about an object ([`S3Store::head`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectHead {
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
}

/// Access key, secret and session token.
type Keys = (String, String, Option<String>);

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The keys of `profile` in an AWS shared credentials file (INI: `[profile]`, `key = value`).
fn keys_from_file(text: &str, profile: &str) -> Option<Keys> {
    let (mut section, mut id, mut secret, mut token) = (String::new(), None, None, None);
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
        } else if section == profile
            && let Some((k, v)) = line.split_once('=')
        {
            let v = Some(v.trim().to_owned());
            match k.trim() {
                "aws_access_key_id" => id = v,
                "aws_secret_access_key" => secret = v,
                "aws_session_token" => token = v,
                _ => {}
            }
        }
    }
    Some((id?, secret?, token))
}

/// True on an EC2 instance, where the instance metadata service gives credentials.
fn on_ec2() -> bool {
    if env_nonempty("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return false;
    }
    ["/sys/hypervisor/uuid", "/sys/class/dmi/id/product_uuid", "/sys/class/dmi/id/board_vendor"].iter().any(|p| {
        std::fs::read_to_string(p).is_ok_and(|s| {
            let s = s.trim().to_ascii_lowercase();
            s.starts_with("ec2") || s.contains("amazon")
        })
    })
}

impl S3Store {
    /// Connects to `target`'s bucket. With `endpoint` (`http://127.0.0.1:9000`,
    /// `https://s3.example.net`) requests go there with path-style addressing (`ENDPOINT/BUCKET/KEY`),
    /// which every S3-compatible server understands; without it they go to AWS with virtual-hosted
    /// addressing. The region is `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else
    /// `us-east-1`.
    ///
    /// This looks up credentials, which may read files, so call it outside async code or in
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// [`PublishError::NoCredentials`] when no credentials are found; [`PublishError::Other`] for a bad
    /// endpoint.
    pub fn new(target: &Target, endpoint: Option<&str>, region: Option<&str>) -> Result<Self, PublishError> {
        let from_env = env_nonempty("AWS_ACCESS_KEY_ID")
            .zip(env_nonempty("AWS_SECRET_ACCESS_KEY"))
            .map(|(id, secret)| (id, secret, env_nonempty("AWS_SESSION_TOKEN")));
        let from_file = || {
            let path = env_nonempty("AWS_SHARED_CREDENTIALS_FILE")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws/credentials")))?;
            let profile = env_nonempty("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
            keys_from_file(&std::fs::read_to_string(path).ok()?, &profile)
        };
        let keys = from_env.or_else(from_file);
        let delegated = env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
            || env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
            || env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
        if keys.is_none() && !delegated && !on_ec2() {
            return Err(PublishError::NoCredentials);
        }
        Self::build(target, endpoint, region, keys)
    }

    /// Like [`S3Store::new`], with this access key and secret instead of the standard lookup.
    ///
    /// # Errors
    /// As for [`S3Store::new`].
    pub fn with_keys(
        target: &Target,
        endpoint: Option<&str>,
        region: Option<&str>,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Self, PublishError> {
        Self::build(target, endpoint, region, Some((access_key.to_owned(), secret_key.to_owned(), None)))
    }

    fn build(
        target: &Target,
        endpoint: Option<&str>,
        region: Option<&str>,
        keys: Option<Keys>,
    ) -> Result<Self, PublishError> {
        let region = region
            .map(str::to_owned)
            .or_else(|| env_nonempty("AWS_REGION"))
            .or_else(|| env_nonempty("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let mut builder = AmazonS3Builder::new().with_bucket_name(&target.bucket).with_region(&region);
        let shown = match endpoint {
            Some(url) => {
                let url = url.trim_end_matches('/');
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(PublishError::Other(format!(
                        "invalid endpoint {url:?}: expected http://HOST[:PORT] or https://HOST[:PORT]"
                    )));
                }
                builder = builder
                    .with_endpoint(url)
                    .with_virtual_hosted_style_request(false)
                    .with_allow_http(url.starts_with("http://"));
                url.to_owned()
            }
            None => {
                builder = builder.with_virtual_hosted_style_request(true);
                format!("https://s3.{region}.amazonaws.com")
            }
        };
        match keys {
            Some((id, secret, token)) => {
                builder = builder.with_access_key_id(id).with_secret_access_key(secret);
                if let Some(token) = token {
                    builder = builder.with_token(token);
                }
            }
            None => {
                for name in DELEGATED_ENV {
                    if let (Some(value), Ok(key)) =
                        (env_nonempty(name), name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>())
                    {
                        builder = builder.with_config(key, value);
                    }
                }
            }
        }
        let store = builder
            .build()
            .map_err(|e| PublishError::Other(format!("cannot set up bucket {:?}: {e}", target.bucket)))?;
        Ok(S3Store { store: Arc::new(store), bucket: target.bucket.clone(), endpoint: shown })
    }

    /// The underlying `object_store` client, for anything this type does not cover.
    pub fn object_store(&self) -> &AmazonS3 {
        &self.store
    }

    /// Reads `len` bytes of `key` from `start` (a ranged `GET`), as a CDN or podcast app would.
    ///
    /// # Errors
    /// The request failed or the object does not exist.
    pub async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Vec<u8>, PublishError> {
        let path = self.path(key)?;
        let data = self
            .store
            .get_range(&path, start..start.saturating_add(len.max(1)))
            .await
            .map_err(|e| self.error("GET", key, &e))?;
        Ok(data.to_vec())
    }

    /// What a `HEAD` of `key` says, or `None` when it does not exist.
    ///
    /// # Errors
    /// The request failed.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, PublishError> {
        let path = self.path(key)?;
        match self.store.get_opts(&path, GetOptions { head: true, ..GetOptions::default() }).await {
            Ok(r) => {
                let attr = |a: &Attribute| r.attributes.get(a).map(|v| v.to_string());
                Ok(Some(ObjectHead {
                    size: r.meta.size,
                    etag: r.meta.e_tag.as_deref().map(unquote),
                    content_type: attr(&Attribute::ContentType),
                    cache_control: attr(&Attribute::CacheControl),
                }))
            }
            Err(e) if is_missing_object(&e) => Ok(None),
            Err(e) => Err(self.error("HEAD", key, &e)),
        }
    }

    fn path(&self, key: &str) -> Result<ObjectPath, PublishError> {
        ObjectPath::parse(key).map_err(|e| PublishError::Other(format!("{key:?} cannot be an object key here: {e}")))
    }

    /// Turns an `object_store` error into a [`PublishError`] that says what to do. The S3 error code
    /// and message come from the XML body the client quotes in its error.
    fn error(&self, op: &'static str, key: &str, err: &object_store::Error) -> PublishError {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            let more = cause.to_string();
            if !text.contains(&more) {
                text.push_str(&format!(": {more}"));
            }
            source = cause.source();
        }
        let status =
            text.split_once("status code: ").and_then(|(_, rest)| rest.get(..3)).and_then(|s| s.parse::<u16>().ok());
        let code = xml_field(&text, "Code").unwrap_or_default();
        let message = xml_field(&text, "Message");
        match (status, code.as_str()) {
            (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken") | (Some(401), _) => {
                let message = message.unwrap_or_else(|| one_line(&text));
                PublishError::Credentials { endpoint: self.endpoint.clone(), code, message }
            }
            (_, "NoSuchBucket") => PublishError::NoBucket(self.bucket.clone()),
            (Some(403), _) => PublishError::AccessDenied {
                op,
                key: key.to_owned(),
                message: message.unwrap_or_else(|| one_line(&text)),
            },
            (Some(status), _) => PublishError::Server {
                op,
                key: key.to_owned(),
                status,
                code: if code.is_empty() { "(no error code)".to_owned() } else { code },
                message: message.unwrap_or_else(|| one_line(&text)),
            },
            (None, _) => PublishError::Transport {
                op,
                key: key.to_owned(),
                message: format!("cannot reach {}: {}", self.endpoint, one_line(&text)),
            },
        }
    }
}

/// A 404 for the object (not for the bucket).
fn is_missing_object(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. }) && !e.to_string().contains("NoSuchBucket")
}

/// `text` on one line, at most 300 characters.
fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(300).collect()
}

/// The text of the first `<name>…</name>` in an S3 XML error body.
fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let len = body.get(start..)?.find(&close)?;
    body.get(start..start + len).map(str::to_owned)
}

fn unquote(etag: &str) -> String {
    etag.trim().trim_matches('"').to_owned()
}

fn attributes(content_type: &str, cache_control: &str) -> Attributes {
    let mut attrs = Attributes::new();
    attrs.insert(Attribute::ContentType, content_type.to_owned().into());
    attrs.insert(Attribute::CacheControl, cache_control.to_owned().into());
    attrs
}

impl Store for S3Store {
    /// Lists with `ListObjectsV2`: one request per 1,000 keys.
    async fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>, PublishError> {
        // object_store lists whole "folders"; a prefix that ends inside a name lists its folder and
        // filters.
        let folder = match prefix.rsplit_once('/') {
            Some((folder, _)) => folder,
            None => "",
        };
        let path = if folder.is_empty() { None } else { Some(self.path(folder)?) };
        let objects: Vec<_> =
            self.store.list(path.as_ref()).try_collect().await.map_err(|e| self.error("LIST", prefix, &e))?;
        Ok(objects
            .into_iter()
            .filter(|o| o.location.as_ref().starts_with(prefix))
            .map(|o| RemoteObject { etag: o.e_tag.as_deref().map(unquote), key: o.location.to_string(), size: o.size })
            .collect())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PublishError> {
        let path = self.path(key)?;
        let result = match self.store.get(&path).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(data) => Ok(Some(data.to_vec())),
            Err(e) if is_missing_object(&e) => Ok(None),
            Err(e) => Err(self.error("GET", key, &e)),
        }
    }

    /// Files under [`PART_SIZE`] go up in one `PUT`; larger ones in [`PART_SIZE`] parts, up to
    /// [`PARTS_IN_FLIGHT`] at once. A failed or stopped multipart upload is aborted, so no partial
    /// object appears (and no parts are left to pay for).
    async fn put_file(
        &self,
        key: &str,
        file: &LocalFile,
        on_read: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<(), PublishError> {
        let path = self.path(key)?;
        let attrs = attributes(file.content_type, file.cache_control);
        let mut f = tokio::fs::File::open(&file.path).await.map_err(|e| PublishError::read(&file.path, e))?;
        if file.size < PART_SIZE {
            let mut body = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
            f.read_to_end(&mut body).await.map_err(|e| PublishError::read(&file.path, e))?;
            if u64::try_from(body.len()).ok() != Some(file.size) {
                return Err(PublishError::Other(format!(
                    "{} changed while publishing: run `podmark publish` again",
                    file.path.display()
                )));
            }
            if on_read(file.size).is_break() {
                return Err(PublishError::Aborted);
            }
            let opts = PutOptions { attributes: attrs, ..PutOptions::default() };
            self.store.put_opts(&path, PutPayload::from(body), opts).await.map_err(|e| self.error("PUT", key, &e))?;
            return Ok(());
        }
        let opts = PutMultipartOptions { attributes: attrs, ..PutMultipartOptions::default() };
        let upload = self.store.put_multipart_opts(&path, opts).await.map_err(|e| self.error("PUT", key, &e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, usize::try_from(PART_SIZE).unwrap_or(usize::MAX));
        let mut buf = vec![0u8; 1 << 20];
        let mut sent = 0u64;
        let failure = loop {
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break self.error("PUT", key, &e);
            }
            let n = match f.read(&mut buf).await {
                Ok(0) => {
                    if sent != file.size {
                        break PublishError::Other(format!(
                            "{} changed while publishing: run `podmark publish` again",
                            file.path.display()
                        ));
                    }
                    return writer.finish().await.map(drop).map_err(|e| self.error("PUT", key, &e));
                }
                Ok(n) => n,
                Err(e) => break PublishError::read(&file.path, e),
            };
            writer.write(buf.get(..n).unwrap_or_default());
            sent += u64::try_from(n).unwrap_or(u64::MAX);
            if on_read(u64::try_from(n).unwrap_or(u64::MAX)).is_break() {
                break PublishError::Aborted;
            }
        };
        // The first error is the one to report; a failed abort leaves parts the bucket's lifecycle
        // rules clean up.
        let _ = writer.abort().await;
        Err(failure)
    }

    async fn put_bytes(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> Result<(), PublishError> {
        let path = self.path(key)?;
        let opts = PutOptions { attributes: attributes(content_type, cache_control), ..PutOptions::default() };
        self.store.put_opts(&path, PutPayload::from(body), opts).await.map_err(|e| self.error("PUT", key, &e))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), PublishError> {
        let path = self.path(key)?;
        self.store.delete(&path).await.map_err(|e| self.error("DELETE", key, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields() {
        let body = "<?xml version=\"1.0\"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id \
                    you provided does not exist in our records.</Message></Error>";
        assert_eq!(xml_field(body, "Code").as_deref(), Some("InvalidAccessKeyId"));
        assert!(xml_field(body, "Message").unwrap().starts_with("The AWS Access Key Id"));
        assert_eq!(xml_field(body, "RequestId"), None);
        assert_eq!(xml_field("<Code>unterminated", "Code"), None);
        assert_eq!(unquote("\"abc-2\""), "abc-2");
    }

    #[test]
    fn shared_credentials_file_profiles() {
        let text = "[default]\naws_access_key_id = nope\n\n[podcast]\naws_access_key_id=AK\n\
                    aws_secret_access_key = SK \naws_session_token = T\n[other]\naws_access_key_id = x\n";
        assert_eq!(keys_from_file(text, "podcast"), Some(("AK".into(), "SK".into(), Some("T".into()))));
        assert_eq!(keys_from_file(text, "default"), None, "no secret");
        assert_eq!(keys_from_file(text, "missing"), None);
    }
}
