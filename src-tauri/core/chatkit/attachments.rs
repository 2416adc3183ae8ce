//! Attachments, as chatkit-python's two-phase upload does them: `attachments.create` checks
//! the declared name, type and size and answers with where to send the bytes; the upload
//! checks the bytes themselves (their size, and that they are what the type says); a message
//! then names uploaded attachments by id. Images (PNG, JPEG, WebP, GIF), PDF and UTF-8 text
//! are accepted, each up to `MAX_ATTACHMENT_BYTES`.

use base64::Engine;

use crate::chatkit::store::new_id;
use crate::chatkit::types::{
    Attachment, AttachmentCreateParams, AttachmentKind, ItemKind, ThreadItem, UploadDescriptor,
};
use crate::error::{excerpt, AppError, AppResult, ErrorCode};
use crate::storage::attachment_files::AttachmentFiles;

/// The largest attachment, in bytes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// The most attachments one message carries.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 6;

pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];
pub const TEXT_TYPES: [&str; 5] = [
    "text/plain",
    "text/markdown",
    "text/csv",
    "application/json",
    "text/x-markdown",
];
pub const PDF_TYPE: &str = "application/pdf";

/// What the model is given for an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Image,
    Pdf,
    Text,
}

/// The content an accepted type is; a type the browser left vague (empty, or
/// `application/octet-stream`) is read from the file name's extension.
pub fn classify(name: &str, mime_type: &str) -> AppResult<(Content, String)> {
    let declared = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mime = if declared.is_empty() || declared == "application/octet-stream" {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match extension.as_deref() {
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("webp") => "image/webp",
            Some("gif") => "image/gif",
            Some("pdf") => PDF_TYPE,
            Some("txt" | "text" | "log") => "text/plain",
            Some("md" | "markdown") => "text/markdown",
            Some("csv") => "text/csv",
            Some("json") => "application/json",
            _ => "",
        }
        .to_string()
    } else {
        declared
    };
    let content = if IMAGE_TYPES.contains(&mime.as_str()) {
        Content::Image
    } else if mime == PDF_TYPE {
        Content::Pdf
    } else if TEXT_TYPES.contains(&mime.as_str()) {
        Content::Text
    } else {
        return Err(AppError::new(
            ErrorCode::AttachmentTypeNotAllowed,
            format!(
                "“{}” ({}) can't be attached: attach an image (PNG, JPEG, WebP, GIF), a PDF, or a text file (.txt, .md, .csv, .json).",
                excerpt(name),
                if mime_type.is_empty() { "unknown type" } else { mime_type }
            ),
        ));
    };
    Ok((content, mime))
}

fn too_large(name: &str, size: u64) -> AppError {
    AppError::new(
        ErrorCode::AttachmentTooLarge,
        format!(
            "“{}” is {:.1} MB; attachments can be at most {} MB. Attach a smaller file or a cropped screenshot.",
            excerpt(name),
            size as f64 / (1024.0 * 1024.0),
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        ),
    )
}

/// Checks that `bytes` are what `mime` says: an image of that format, a PDF, or UTF-8 text.
fn check_bytes(name: &str, mime: &str, content: Content, bytes: &[u8]) -> AppResult<()> {
    let sniffed = infer::get(bytes).map(|kind| kind.mime_type());
    let fits = match content {
        Content::Image => sniffed == Some(mime),
        Content::Pdf => sniffed == Some(PDF_TYPE),
        Content::Text => std::str::from_utf8(bytes).is_ok(),
    };
    if fits {
        return Ok(());
    }
    Err(AppError::new(
        ErrorCode::AttachmentTypeNotAllowed,
        format!(
            "“{}” is not the {mime} file its type says{}; attach the file again, saved in its real format.",
            excerpt(name),
            sniffed.map(|s| format!(" (it looks like {s})")).unwrap_or_default()
        ),
    ))
}

/// `data:<mime>;base64,<bytes>`, as the Responses API takes images and files.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The attachment service behind the protocol ops: files on disk, and how to name the
/// upload URL for this transport (an IPC stand-in URL in the app, loopback HTTP in `serve`).
pub struct Attachments {
    files: AttachmentFiles,
    upload_url: Box<dyn Fn(&str) -> String + Send + Sync>,
}

impl Attachments {
    /// Attachments never sent within this long are removed when the server starts.
    pub const UNSENT_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

    pub fn new(
        files: AttachmentFiles,
        upload_url: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        match files.delete_unsent_older_than(Self::UNSENT_KEPT) {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} attachments that were never sent"),
            Err(e) => tracing::warn!("unsent attachments stay: {}", e.message),
        }
        Self {
            files,
            upload_url: Box::new(upload_url),
        }
    }

    pub fn files(&self) -> &AttachmentFiles {
        &self.files
    }

    /// `attachments.create`: records the attachment and says where to `PUT` its bytes.
    pub fn create(&self, params: &AttachmentCreateParams) -> AppResult<Attachment> {
        let (content, mime) = classify(&params.name, &params.mime_type)?;
        if params.size > MAX_ATTACHMENT_BYTES {
            return Err(too_large(&params.name, params.size));
        }
        let name = params.name.trim();
        if name.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "An attachment needs a file name.",
            ));
        }
        let id = new_id("att");
        let attachment = Attachment {
            upload_descriptor: Some(UploadDescriptor {
                url: (self.upload_url)(&id),
                method: "PUT".into(),
                headers: Default::default(),
            }),
            id,
            name: name.chars().take(255).collect(),
            mime_type: mime,
            thread_id: None,
            kind: match content {
                Content::Image => AttachmentKind::Image { preview_url: None },
                _ => AttachmentKind::File,
            },
        };
        self.files.save(&attachment)?;
        Ok(self.answered(attachment))
    }

    /// The upload step: checks and stores the bytes; answers the finished attachment.
    pub fn upload(&self, id: &str, bytes: &[u8]) -> AppResult<Attachment> {
        let mut attachment = self.files.load(id)?;
        if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
            return Err(too_large(&attachment.name, bytes.len() as u64));
        }
        if attachment.thread_id.is_some() {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!("Attachment {id} was already sent; attach the file again to change it."),
            ));
        }
        let (content, mime) = classify(&attachment.name, &attachment.mime_type)?;
        check_bytes(&attachment.name, &mime, content, bytes)?;
        self.files.write_bytes(id, bytes)?;
        attachment.upload_descriptor = None;
        self.files.save(&attachment)?;
        Ok(self.answered(attachment))
    }

    /// `attachments.delete`: an attachment removed from the composer before sending.
    pub fn delete(&self, id: &str) -> AppResult<()> {
        self.files.load(id)?;
        self.files.delete(id)
    }

    /// The attachments a new message names, checked before anything is stored: each must
    /// exist, be uploaded, and not belong to another message yet.
    pub fn for_message(&self, ids: &[String]) -> AppResult<Vec<Attachment>> {
        if ids.len() > MAX_ATTACHMENTS_PER_MESSAGE {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!("A message can carry at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments."),
            ));
        }
        ids.iter()
            .map(|id| {
                let attachment = self.files.load(id)?;
                if !self.files.has_bytes(id) || attachment.upload_descriptor.is_some() {
                    return Err(AppError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "“{}” has not finished uploading; wait for it, or attach it again.",
                            excerpt(&attachment.name)
                        ),
                    ));
                }
                if attachment.thread_id.is_some() {
                    return Err(AppError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "Attachment {id} belongs to another message; attach the file again."
                        ),
                    ));
                }
                Ok(attachment)
            })
            .collect()
    }

    /// Marks the attachments as sent in `thread_id` (so deleting the thread deletes them).
    pub fn claim(&self, attachments: &mut [Attachment], thread_id: &str) -> AppResult<()> {
        for attachment in attachments {
            attachment.thread_id = Some(thread_id.to_string());
            self.files.save(attachment)?;
        }
        Ok(())
    }

    /// An attachment as the client sees it: images carry their preview as a data URL.
    pub fn answered(&self, mut attachment: Attachment) -> Attachment {
        if let AttachmentKind::Image { preview_url } = &mut attachment.kind {
            let bytes = self.files.read_bytes(&attachment.id).ok().flatten();
            *preview_url = Some(match bytes {
                Some(bytes) => data_url(&attachment.mime_type, &bytes),
                // Not uploaded yet, or deleted: a transparent pixel keeps the shape valid.
                None => BLANK_PIXEL.to_string(),
            });
        }
        attachment
    }

    /// Fills in image previews in a user message about to be answered to the client.
    pub fn answered_item(&self, mut item: ThreadItem) -> ThreadItem {
        if let ItemKind::UserMessage { attachments, .. } = &mut item.kind {
            for value in attachments.iter_mut() {
                if let Ok(attachment) = serde_json::from_value::<Attachment>(value.clone()) {
                    if let Ok(answered) = serde_json::to_value(self.answered(attachment)) {
                        *value = answered;
                    }
                }
            }
        }
        item
    }
}

/// A 1×1 transparent GIF.
const BLANK_PIXEL: &str =
    "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/// An attachment as stored in a user message: no preview (the bytes are on disk).
pub fn stored(attachment: &Attachment) -> serde_json::Value {
    let mut attachment = attachment.clone();
    if let AttachmentKind::Image { preview_url } = &mut attachment.kind {
        *preview_url = None;
    }
    serde_json::to_value(attachment).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    fn service(dir: &std::path::Path) -> Attachments {
        Attachments::new(AttachmentFiles::new(dir), |id| {
            format!("https://up.invalid/{id}")
        })
    }

    fn params(name: &str, size: u64, mime: &str) -> AttachmentCreateParams {
        AttachmentCreateParams {
            name: name.into(),
            size,
            mime_type: mime.into(),
        }
    }

    #[test]
    fn types_are_checked_by_declaration_then_by_content() {
        assert_eq!(classify("a.png", "image/png").unwrap().0, Content::Image);
        assert_eq!(
            classify("notes.md", "").unwrap(),
            (Content::Text, "text/markdown".into())
        );
        assert_eq!(
            classify("doc.PDF", "application/octet-stream").unwrap().0,
            Content::Pdf
        );
        for (name, mime) in [
            ("a.exe", "application/x-msdownload"),
            ("a.svg", "image/svg+xml"),
            ("x", ""),
        ] {
            assert_eq!(
                classify(name, mime).unwrap_err().code,
                ErrorCode::AttachmentTypeNotAllowed,
                "{name}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let attachments = service(dir.path());
        let fake = attachments
            .create(&params("shot.png", 9, "image/png"))
            .unwrap();
        let refused = attachments.upload(&fake.id, b"GIF89a...").unwrap_err();
        assert_eq!(refused.code, ErrorCode::AttachmentTypeNotAllowed);
        assert!(refused.message.contains("image/gif"), "{}", refused.message);
        let text = attachments
            .create(&params("n.txt", 3, "text/plain"))
            .unwrap();
        assert_eq!(
            attachments
                .upload(&text.id, b"\xff\xfe\x00")
                .unwrap_err()
                .code,
            ErrorCode::AttachmentTypeNotAllowed
        );
    }

    #[test]
    fn size_is_checked_when_declared_and_when_uploaded() {
        let dir = tempfile::tempdir().unwrap();
        let attachments = service(dir.path());
        let big = attachments
            .create(&params("big.png", MAX_ATTACHMENT_BYTES + 1, "image/png"))
            .unwrap_err();
        assert_eq!(big.code, ErrorCode::AttachmentTooLarge);
        assert!(big.message.contains("10 MB"), "{}", big.message);
        let liar = attachments
            .create(&params("n.txt", 1, "text/plain"))
            .unwrap();
        let bytes = vec![b'a'; MAX_ATTACHMENT_BYTES as usize + 1];
        assert_eq!(
            attachments.upload(&liar.id, &bytes).unwrap_err().code,
            ErrorCode::AttachmentTooLarge
        );
        assert!(!attachments.files().has_bytes(&liar.id));
    }

    #[test]
    fn an_uploaded_image_answers_its_preview_and_can_be_sent_once() {
        let dir = tempfile::tempdir().unwrap();
        let attachments = service(dir.path());
        let created = attachments
            .create(&params("shot.png", PNG.len() as u64, "image/png"))
            .unwrap();
        let descriptor = created.upload_descriptor.clone().unwrap();
        assert_eq!(descriptor.url, format!("https://up.invalid/{}", created.id));
        assert!(
            attachments
                .for_message(std::slice::from_ref(&created.id))
                .is_err(),
            "not uploaded yet"
        );
        let uploaded = attachments.upload(&created.id, PNG).unwrap();
        assert!(uploaded.upload_descriptor.is_none());
        assert_eq!(
            uploaded.kind,
            AttachmentKind::Image {
                preview_url: Some(data_url("image/png", PNG))
            }
        );
        let mut sent = attachments
            .for_message(std::slice::from_ref(&created.id))
            .unwrap();
        attachments.claim(&mut sent, "thr_1").unwrap();
        assert!(
            attachments
                .for_message(std::slice::from_ref(&created.id))
                .is_err(),
            "already sent"
        );
        assert_eq!(stored(&sent[0])["preview_url"], serde_json::Value::Null);
    }
}
