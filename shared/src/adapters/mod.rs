//! Adapters for the storage ports: AWS (S3, DynamoDB, SES) and embedded (a folder, SQLite).

pub mod dynamodb;
pub mod dynamodb_comments;
pub mod dynamodb_index;
pub mod dynamodb_subscribers;
pub mod fs_content;
pub mod outbox_mail;
pub mod s3_content;
pub mod ses_mail;
pub mod sqlite;
pub mod sqlite_comments;
pub mod sqlite_index;
pub mod sqlite_subscribers;

pub use dynamodb_comments::DynamoCommentStore;
pub use dynamodb_index::DynamoPostIndex;
pub use dynamodb_subscribers::DynamoSubscribers;
pub use fs_content::FsContent;
pub use outbox_mail::OutboxMailer;
pub use s3_content::S3Content;
pub use ses_mail::SesMailer;
pub use sqlite_comments::SqliteCommentStore;
pub use sqlite_index::SqlitePostIndex;
pub use sqlite_subscribers::SqliteSubscribers;
