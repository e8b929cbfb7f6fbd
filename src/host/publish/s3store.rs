//! [`S3Store`]: the [`Store`] for AWS S3 and S3-compatible servers, on the rust-s3 crate.

use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::s3::creds::Credentials;
use ::s3::creds::error::CredentialsError;
use ::s3::error::S3Error;
use ::s3::{Bucket, Region};
use tokio::io::{AsyncRead, ReadBuf};

use super::{LocalFile, PublishError, RemoteObject, Store, Target};

/// Parts of one multipart upload in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// A bucket on AWS S3 or an S3-compatible server (MinIO, Ceph, Garage, Scality, moto, …).
///
/// Credentials come from the standard places, in this order: `AWS_ACCESS_KEY_ID` +
/// `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`, profile `AWS_PROFILE` or `default`);
/// web identity (`AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`); the ECS/EKS container endpoint; and
/// the EC2 instance metadata service (only on EC2).
pub struct S3Store {
    bucket: Box<Bucket>,
    endpoint: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("bucket", &self.bucket.name()).field("endpoint", &self.endpoint).finish()
    }
}

impl S3Store {
    /// Connects to `target`'s bucket. With `endpoint` (`http://127.0.0.1:9000`,
    /// `https://s3.example.net`) requests go there with path-style addressing (`ENDPOINT/BUCKET/KEY`),
    /// which every S3-compatible server understands; without it they go to AWS with virtual-hosted
    /// addressing. The region is `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else
    /// `us-east-1`.
    ///
    /// This looks up credentials, which may read files (and on EC2 ask the metadata service), so call
    /// it outside async code or in `spawn_blocking`.
    ///
    /// # Errors
    /// [`PublishError::NoCredentials`] when no credentials are found; [`PublishError::Other`] for a bad
    /// endpoint.
    pub fn new(target: &Target, endpoint: Option<&str>, region: Option<&str>) -> Result<Self, PublishError> {
        let profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
        let credentials = Credentials::new(None, None, None, None, profile.as_deref()).map_err(|e| match e {
            CredentialsError::NoCredentials => PublishError::NoCredentials,
            other => PublishError::Other(format!("cannot load AWS credentials: {other}")),
        })?;
        Self::with_credentials(target, endpoint, region, credentials)
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
        let credentials = Credentials::new(Some(access_key), Some(secret_key), None, None, None)
            .map_err(|e| PublishError::Other(format!("bad credentials: {e}")))?;
        Self::with_credentials(target, endpoint, region, credentials)
    }

    fn with_credentials(
        target: &Target,
        endpoint: Option<&str>,
        region: Option<&str>,
        credentials: Credentials,
    ) -> Result<Self, PublishError> {
        let region_name = region
            .map(str::to_owned)
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok().filter(|r| !r.is_empty()))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let (region, shown) = match endpoint {
            Some(url) => {
                let url = url.trim_end_matches('/');
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(PublishError::Other(format!(
                        "invalid endpoint {url:?}: expected http://HOST[:PORT] or https://HOST[:PORT]"
                    )));
                }
                (Region::Custom { region: region_name, endpoint: url.to_owned() }, url.to_owned())
            }
            None => {
                let region: Region = region_name.parse().map_err(|_| PublishError::Other("invalid region".into()))?;
                let shown = format!("https://{}", region.host());
                (region, shown)
            }
        };
        let bucket = Bucket::new(&target.bucket, region, credentials)
            .map_err(|e| PublishError::Other(format!("cannot set up bucket {:?}: {e}", target.bucket)))?;
        let bucket = if endpoint.is_some() { bucket.with_path_style() } else { bucket };
        Ok(S3Store { bucket, endpoint: shown })
    }

    /// The underlying rust-s3 bucket, for anything this type does not cover.
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// Reads `len` bytes of `key` from `start` (a ranged `GET`), as a CDN or podcast app would.
    ///
    /// # Errors
    /// The request failed or the object does not exist.
    pub async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Vec<u8>, PublishError> {
        let end = start.saturating_add(len.max(1) - 1);
        let data = self.bucket.get_object_range(key, start, Some(end)).await.map_err(|e| self.error("GET", key, e))?;
        Ok(data.to_vec())
    }

    /// Turns a rust-s3 error into a [`PublishError`] that says what to do.
    fn error(&self, op: &'static str, key: &str, err: S3Error) -> PublishError {
        match err {
            S3Error::HttpFailWithBody(status, body) => {
                let code = xml_field(&body, "Code").unwrap_or_default();
                let message = xml_field(&body, "Message").unwrap_or_else(|| body.chars().take(200).collect());
                match (status, code.as_str()) {
                    (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken")
                    | (401, _) => PublishError::Credentials { endpoint: self.endpoint.clone(), code, message },
                    (_, "NoSuchBucket") => PublishError::NoBucket(self.bucket.name()),
                    (403, _) => PublishError::AccessDenied { op, key: key.to_owned(), message },
                    _ => {
                        let code = match (code.is_empty(), (200..300).contains(&status)) {
                            (false, _) => code,
                            // rust-s3 turns a 2xx whose XML it does not expect (say, a
                            // CompleteMultipartUpload answer without its result element) into this.
                            (true, true) => "(an answer of an unexpected shape: a server bug?)".to_owned(),
                            (true, false) => "(no error code)".to_owned(),
                        };
                        PublishError::Server { op, key: key.to_owned(), status, code, message }
                    }
                }
            }
            S3Error::Credentials(e) => PublishError::Other(format!("AWS credentials: {e}")),
            other => {
                let mut message = format!("cannot reach {}: {other}", self.endpoint);
                let mut source = std::error::Error::source(&other);
                while let Some(cause) = source {
                    message.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                PublishError::Transport { op, key: key.to_owned(), message }
            }
        }
    }
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

impl Store for S3Store {
    async fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>, PublishError> {
        let pages = self.bucket.list(prefix.to_owned(), None).await.map_err(|e| self.error("LIST", prefix, e))?;
        Ok(pages
            .into_iter()
            .flat_map(|page| page.contents)
            .map(|o| RemoteObject { etag: o.e_tag.as_deref().map(unquote), key: o.key, size: o.size })
            .collect())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PublishError> {
        match self.bucket.get_object(key).await {
            Ok(data) => Ok(Some(data.to_vec())),
            Err(S3Error::HttpFailWithBody(404, body)) if !body.contains("NoSuchBucket") => Ok(None),
            Err(e) => Err(self.error("GET", key, e)),
        }
    }

    async fn put_file(
        &self,
        key: &str,
        file: &LocalFile,
        on_read: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<(), PublishError> {
        let f = tokio::fs::File::open(&file.path).await.map_err(|e| PublishError::read(&file.path, e))?;
        let mut reader = Counting { inner: f, on_read };
        let request = self
            .bucket
            .put_object_stream_builder(key)
            .with_content_type(file.content_type)
            .with_cache_control(file.cache_control)
            .map_err(|e| self.error("PUT", key, e))?
            .with_max_concurrent_chunks(PARTS_IN_FLIGHT);
        request.execute_stream(&mut reader).await.map_err(|e| self.error("PUT", key, e))?;
        Ok(())
    }

    async fn put_bytes(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> Result<(), PublishError> {
        self.bucket
            .put_object_builder(key, &body)
            .with_content_type(content_type)
            .with_cache_control(cache_control)
            .map_err(|e| self.error("PUT", key, e))?
            .execute()
            .await
            .map_err(|e| self.error("PUT", key, e))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), PublishError> {
        self.bucket.delete_object(key).await.map_err(|e| self.error("DELETE", key, e))?;
        Ok(())
    }
}

/// Reports each read to the progress callback, and fails the read when it says stop (rust-s3 then
/// aborts the multipart upload, so no partial object appears).
struct Counting<'a> {
    inner: tokio::fs::File,
    on_read: &'a mut dyn FnMut(u64) -> ControlFlow<()>,
}

impl AsyncRead for Counting<'_> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len().saturating_sub(before);
                if n > 0 && (this.on_read)(u64::try_from(n).unwrap_or(u64::MAX)).is_break() {
                    return Poll::Ready(Err(std::io::Error::other("publish stopped")));
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
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
}
