//! Adapters for the storage ports: AWS (S3, DynamoDB) and embedded (a folder, SQLite).

pub mod dynamodb_comments;
pub mod dynamodb_index;
pub mod fs_content;
pub mod outbox_mail;
pub mod s3_content;
pub mod sqlite_comments;
pub mod sqlite_index;

pub use dynamodb_comments::DynamoCommentStore;
pub use dynamodb_index::DynamoPostIndex;
pub use fs_content::FsContent;
pub use outbox_mail::OutboxMailer;
pub use s3_content::S3Content;
pub use sqlite_comments::SqliteCommentStore;
pub use sqlite_index::SqlitePostIndex;
