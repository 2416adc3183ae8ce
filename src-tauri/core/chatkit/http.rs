//! `serve`'s transport: the ChatKit endpoint on loopback HTTP, for browser-hosted ChatKit
//! pages, scripts and conformance tests. It binds 127.0.0.1 only; requests need the bearer
//! client secret, and a page from any origin but loopback or this app is refused.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, ORIGIN};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::chatkit::attachments::MAX_ATTACHMENT_BYTES;
use crate::chatkit::gateway::{error_body, sse_frame, ChatKitGateway};
use crate::chatkit::server::ChatKitResponse;
use crate::error::{AppError, ErrorCode};

pub const CHATKIT_PATH: &str = "/chatkit";
/// Requests larger than this are refused; ChatKit requests are small JSON.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// An upload may be a little over the attachment limit, so the limit's own coded error
/// (`attachment_too_large`) answers it rather than a cut-off read.
const MAX_UPLOAD_BYTES: usize = MAX_ATTACHMENT_BYTES as usize + 1024 * 1024;

/// Where an attachment's bytes are `PUT` (the upload step of `attachments.create`).
pub fn upload_path(attachment_id: &str) -> String {
    format!("{CHATKIT_PATH}/attachments/{attachment_id}/upload")
}

fn upload_target(path: &str) -> Option<&str> {
    path.strip_prefix(CHATKIT_PATH)?
        .strip_prefix("/attachments/")?
        .strip_suffix("/upload")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

type Body = BoxBody<Bytes, Infallible>;

/// Loopback pages and the app's own webview origins.
pub fn origin_allowed(origin: &str) -> bool {
    if matches!(
        origin,
        "tauri://localhost" | "http://tauri.localhost" | "https://tauri.localhost"
    ) {
        return true;
    }
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && matches!(
            url.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        )
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

fn with_cors(mut response: Response<Body>, origin: Option<&HeaderValue>) -> Response<Body> {
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert("access-control-allow-origin", origin.clone());
        headers.insert("vary", HeaderValue::from_static("Origin"));
    }
    response
}

fn error_response(err: &AppError) -> Response<Body> {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(full(error_body(err)))
        .expect("static response parts")
}

async fn handle(gateway: Arc<ChatKitGateway>, request: Request<Incoming>) -> Response<Body> {
    let origin = request.headers().get(ORIGIN).cloned();
    if let Some(value) = &origin {
        if !value.to_str().map(origin_allowed).unwrap_or(false) {
            return error_response(&AppError::new(
                ErrorCode::ForbiddenOrigin,
                "Requests from this web origin are not allowed.",
            ));
        }
    }
    let response = route(gateway, request).await;
    with_cors(response, origin.as_ref())
}

async fn route(gateway: Arc<ChatKitGateway>, request: Request<Incoming>) -> Response<Body> {
    let upload = upload_target(request.uri().path()).map(str::to_string);
    if request.uri().path() != CHATKIT_PATH && upload.is_none() {
        return error_response(&AppError::new(
            ErrorCode::NotFound,
            format!("Nothing here; the ChatKit endpoint is {CHATKIT_PATH}."),
        ));
    }
    if request.method() == Method::OPTIONS {
        return Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header("access-control-allow-methods", "POST, PUT, OPTIONS")
            .header(
                "access-control-allow-headers",
                "authorization, content-type",
            )
            .header("access-control-max-age", "600")
            .body(full(Bytes::new()))
            .expect("static response parts");
    }
    let method_ok = match upload {
        Some(_) => matches!(*request.method(), Method::PUT | Method::POST),
        None => request.method() == Method::POST,
    };
    if !method_ok {
        return error_response(&AppError::new(
            ErrorCode::InvalidRequest,
            "The ChatKit endpoint takes POST requests; uploads take PUT.",
        ));
    }
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let limit = if upload.is_some() {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let body = match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if upload.is_some() => {
            return error_response(&AppError::new(
                ErrorCode::AttachmentTooLarge,
                format!(
                    "The upload could not be read whole ({e}); attachments can be at most {} MB.",
                    MAX_ATTACHMENT_BYTES / (1024 * 1024)
                ),
            ))
        }
        Err(e) => {
            return error_response(&AppError::new(
                ErrorCode::InvalidRequest,
                format!("The request body could not be read: {e}"),
            ))
        }
    };
    let answer = match &upload {
        Some(id) => gateway.upload(token.as_deref(), id, &body),
        None => gateway.call(token.as_deref(), &body).await,
    };
    match answer {
        Ok(ChatKitResponse::Json(json)) => Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(full(json))
            .expect("static response parts"),
        Ok(ChatKitResponse::Stream(events)) => {
            // When the client disconnects, hyper drops this body and with it the receiver,
            // which cancels the response on the server's side.
            let frames = stream::unfold(events, |mut events| async move {
                let event = events.recv().await?;
                Some((
                    Ok::<_, Infallible>(Frame::data(Bytes::from(sse_frame(&event)))),
                    events,
                ))
            });
            Response::builder()
                .header(CONTENT_TYPE, "text/event-stream")
                .header("cache-control", "no-cache")
                .body(StreamBody::new(frames).boxed())
                .expect("static response parts")
        }
        Err(err) => error_response(&err),
    }
}

/// Answers connections on `listener` until the process ends.
pub async fn serve(listener: TcpListener, gateway: Arc<ChatKitGateway>) {
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                continue;
            }
        };
        // Streamed events are small writes: without this, Nagle's algorithm holds each one
        // back until the client's delayed ACK (~40 ms) arrives.
        if let Err(e) = socket.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY not set: {e}");
        }
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let gateway = gateway.clone();
                async move { Ok::<_, Infallible>(handle(gateway, request).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service)
                .await
            {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn only_loopback_and_app_origins_are_allowed() {
        for ok in [
            "http://127.0.0.1:5173",
            "http://localhost:8080",
            "http://[::1]:3000",
            "https://localhost",
            "tauri://localhost",
            "http://tauri.localhost",
        ] {
            assert!(origin_allowed(ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "null",
            "file://",
            "http://10.0.0.1",
        ] {
            assert!(!origin_allowed(bad), "{bad}");
        }
    }
}
