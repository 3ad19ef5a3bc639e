//! `aws-adapters`: where the AWS SDK dependencies live. The ports implemented on AWS services:
//! [`dynamo::DynamoStore`], the [`Store`](payments::Store) on one DynamoDB table, and
//! [`secrets::SecretsManagerProvider`], the gateway credentials from one Secrets Manager secret.
//! The domain crates stay free of AWS code, so they are tested without it.

pub mod dynamo;
pub mod secrets;
