//! Who is calling. On Lambda the user is a JWT claim that API Gateway's authorizer verified
//! (`requestContext.authorizer.jwt.claims.<claim>`) and an admin is an IAM-signed caller whose
//! ARN is on the [`AdminPrincipals`] allow-list (`ADMIN_PRINCIPAL_ARNS`; empty admits any IAM
//! caller of the account); the body is never consulted. The `local` binary may attach a
//! [`DevIdentity`] from its own headers; Lambda builds never do, so those headers mean nothing
//! there.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;
use payments::Label;

use super::error::ApiError;

/// Which JWT claim names the user (`AUTH_CLAIM`, default `sub`). Attached to every router.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub claim: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            claim: "sub".into(),
        }
    }
}

/// An identity asserted by the local development server (`X-Dev-User`, `X-Dev-Admin`).
#[derive(Clone, Debug, Default)]
pub struct DevIdentity {
    pub user: Option<String>,
    pub admin: bool,
}

/// The authenticated user: the label all of their money is kept under.
#[derive(Clone, Debug)]
pub struct Principal(pub Label);

fn api_gateway_v2(
    parts: &Parts,
) -> Option<&lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext> {
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => Some(ctx),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let claim_name = parts
            .extensions
            .get::<AuthSettings>()
            .map_or("sub", |a| a.claim.as_str());
        let from_jwt = api_gateway_v2(parts)
            .and_then(|ctx| ctx.authorizer.as_ref())
            .and_then(|a| a.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get(claim_name))
            .cloned();
        let raw = match from_jwt {
            Some(v) => v,
            None => parts
                .extensions
                .get::<DevIdentity>()
                .and_then(|d| d.user.clone())
                .ok_or(ApiError::Unauthenticated)?,
        };
        // A claim that is not a usable label is an authentication problem, not the caller's input.
        Label::parse(&raw)
            .map(Principal)
            .map_err(|_| ApiError::Unauthenticated)
    }
}

/// Why an `ADMIN_PRINCIPAL_ARNS` entry is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalArnError {
    #[error("{0:?} is not an ARN (arn:PARTITION:iam::ACCOUNT:...)")]
    NotAnArn(String),
    #[error("{0:?} is not an IAM or STS principal ARN")]
    NotAPrincipal(String),
    #[error("{0:?} does not name a 12-digit account")]
    BadAccount(String),
}

/// One entry of the admin allow-list, parsed at cold start so a typo is a startup error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminPrincipal {
    /// `arn:P:iam::A:role/[path/]NAME`: the role's sessions. API Gateway reports a caller that
    /// assumed a role as `arn:P:sts::A:assumed-role/NAME/SESSION`, without the role's path, so
    /// the role is matched by partition, account and name.
    Role {
        partition: String,
        account: String,
        name: String,
    },
    /// `arn:P:sts::A:assumed-role/NAME/SESSION`: that one session only.
    /// Also `arn:P:sts::A:assumed-role/NAME` (no session): any session, like [`Self::Role`].
    Session {
        partition: String,
        account: String,
        role: String,
        session: Option<String>,
    },
    /// A user `arn:P:iam::A:user/[path/]NAME`, a federated user `arn:P:sts::A:federated-user/NAME`
    /// or the account root `arn:P:iam::A:root`: the caller's ARN must be exactly this.
    Exact(String),
}

impl AdminPrincipal {
    pub fn parse(raw: &str) -> Result<Self, PrincipalArnError> {
        let raw = raw.trim();
        let fields: Vec<&str> = raw.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = fields[..] else {
            return Err(PrincipalArnError::NotAnArn(raw.into()));
        };
        if arn != "arn" || partition.is_empty() || resource.is_empty() {
            return Err(PrincipalArnError::NotAnArn(raw.into()));
        }
        // IAM and STS principal ARNs are global: a region means this is some other resource.
        if !matches!(service, "iam" | "sts") || !region.is_empty() {
            return Err(PrincipalArnError::NotAPrincipal(raw.into()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PrincipalArnError::BadAccount(raw.into()));
        }
        let segments: Vec<&str> = resource.split('/').collect();
        let nonempty = segments.iter().all(|s| !s.is_empty());
        Ok(match (service, segments.as_slice()) {
            ("iam", ["role", .., name]) if nonempty => Self::Role {
                partition: partition.into(),
                account: account.into(),
                name: (*name).into(),
            },
            ("sts", ["assumed-role", role]) if nonempty => Self::Session {
                partition: partition.into(),
                account: account.into(),
                role: (*role).into(),
                session: None,
            },
            ("sts", ["assumed-role", role, session]) if nonempty => Self::Session {
                partition: partition.into(),
                account: account.into(),
                role: (*role).into(),
                session: Some((*session).into()),
            },
            ("iam", ["user", .., _]) | ("sts", ["federated-user", _]) if nonempty => {
                Self::Exact(raw.into())
            }
            ("iam", ["root"]) => Self::Exact(raw.into()),
            // Groups, policies, malformed roles and sessions: nothing API Gateway reports as a caller.
            _ => return Err(PrincipalArnError::NotAPrincipal(raw.into())),
        })
    }

    /// Whether the caller API Gateway authenticated (`requestContext.authorizer.iam.userArn`)
    /// is this principal.
    pub fn admits(&self, caller_arn: &str) -> bool {
        match self {
            Self::Exact(arn) => arn == caller_arn,
            Self::Role {
                partition,
                account,
                name,
            } => {
                caller_arn == format!("arn:{partition}:iam::{account}:role/{name}")
                    || session_of(caller_arn, partition, account)
                        .is_some_and(|(role, _)| same_role_name(role, name))
            }
            Self::Session {
                partition,
                account,
                role,
                session,
            } => session_of(caller_arn, partition, account).is_some_and(|(r, s)| {
                same_role_name(r, role) && session.as_deref().is_none_or(|want| want == s)
            }),
        }
    }
}

/// `(role, session)` of `arn:{partition}:sts::{account}:assumed-role/ROLE/SESSION`.
fn session_of<'a>(
    caller_arn: &'a str,
    partition: &str,
    account: &str,
) -> Option<(&'a str, &'a str)> {
    let rest = caller_arn
        .strip_prefix("arn:")?
        .strip_prefix(partition)?
        .strip_prefix(":sts::")?
        .strip_prefix(account)?
        .strip_prefix(":assumed-role/")?;
    let (role, session) = rest.split_once('/')?;
    (!role.is_empty() && !session.is_empty() && !session.contains('/')).then_some((role, session))
}

/// IAM role names are unique without regard to case, so `Ops` in the list and `ops` in the
/// caller's session ARN are the same role.
fn same_role_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The admin allow-list (`ADMIN_PRINCIPAL_ARNS`), attached to the admin router as an extension.
/// Empty admits every IAM-authorized caller (any principal of the account that IAM lets invoke
/// the API): fine for a first deploy, not for production.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminPrincipals(pub Vec<AdminPrincipal>);

impl AdminPrincipals {
    pub fn admits(&self, caller_arn: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| p.admits(caller_arn))
    }
}

/// An operator: an IAM-authorized caller on Lambda (the route's authorizer is `AWS_IAM`) that
/// [`AdminPrincipals`] admits, or `X-Dev-Admin: 1` on the local server. Carries the caller for
/// the audit log.
#[derive(Clone, Debug)]
pub struct Admin(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let iam = api_gateway_v2(parts)
            .and_then(|ctx| ctx.authorizer.as_ref())
            .and_then(|a| a.iam.as_ref());
        if let Some(iam) = iam {
            // A router that forgot the allow-list must not quietly admit every IAM caller.
            let allowed = parts.extensions.get::<AdminPrincipals>().ok_or_else(|| {
                ApiError::Internal("the admin router has no AdminPrincipals extension".into())
            })?;
            let arn = iam.user_arn.as_deref().filter(|a| !a.is_empty());
            return match arn {
                Some(arn) if allowed.admits(arn) => Ok(Admin(arn.to_string())),
                // No ARN can only pass an empty list; the caller id still names them in the log.
                None if allowed.0.is_empty() => iam.caller_id.clone().map(Admin).ok_or_else(|| {
                    ApiError::Forbidden("admin routes need IAM authorization".into())
                }),
                _ => {
                    // ARNs are identifiers, not secrets: the refusal is part of the audit trail.
                    tracing::warn!(
                        caller = arn.unwrap_or("-"),
                        "admin route refused: caller not in ADMIN_PRINCIPAL_ARNS"
                    );
                    Err(ApiError::Forbidden(
                        "this IAM principal is not allowed on the admin routes".into(),
                    ))
                }
            };
        }
        match parts.extensions.get::<DevIdentity>() {
            Some(d) if d.admin => Ok(Admin("local-dev-admin".into())),
            _ => Err(ApiError::Forbidden(
                "admin routes need IAM authorization".into(),
            )),
        }
    }
}

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`), when known;
/// on the local server (no API Gateway) the TCP peer, so `POSTBACK_ALLOWED_IPS` can be tried.
#[derive(Clone, Debug)]
pub struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let gateway = api_gateway_v2(parts).and_then(|ctx| ctx.http.source_ip.clone());
        let peer = || {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        };
        Ok(SourceIp(gateway.or_else(peer)))
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;

    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn allow(arns: &[&str]) -> AdminPrincipals {
        AdminPrincipals(
            arns.iter()
                .map(|a| AdminPrincipal::parse(a).expect("valid test ARN"))
                .collect(),
        )
    }

    fn session(role: &str, name: &str) -> String {
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}")
    }

    #[test]
    fn a_role_admits_its_sessions_with_or_without_a_path() {
        for entry in [
            format!("arn:aws:iam::{ACCOUNT}:role/ops"),
            format!("arn:aws:iam::{ACCOUNT}:role/teams/payments/ops"),
            format!("arn:aws:iam::{ACCOUNT}:role/OPS"),
        ] {
            let list = allow(&[&entry]);
            assert!(list.admits(&session("ops", "alice")), "{entry}");
            assert!(list.admits(&session("ops", "bob@example.com")), "{entry}");
            assert!(!list.admits(&session("ops-readonly", "alice")), "{entry}");
            assert!(!list.admits(&session("dev", "alice")), "{entry}");
        }
    }

    #[test]
    fn account_and_partition_must_match() {
        let list = allow(&[&format!("arn:aws:iam::{ACCOUNT}:role/ops")]);
        assert!(!list.admits("arn:aws:sts::210987654321:assumed-role/ops/alice"));
        assert!(!list.admits(&format!("arn:aws-cn:sts::{ACCOUNT}:assumed-role/ops/alice")));
        // A prefix of the account is not the account.
        assert!(!list.admits("arn:aws:sts::1234567890123:assumed-role/ops/alice"));
    }

    #[test]
    fn a_session_entry_admits_that_session_only() {
        let list = allow(&[&session("ops", "alice")]);
        assert!(list.admits(&session("ops", "alice")));
        assert!(!list.admits(&session("ops", "mallory")));
        let any = allow(&[&format!("arn:aws:sts::{ACCOUNT}:assumed-role/ops")]);
        assert!(any.admits(&session("ops", "mallory")));
        assert!(!any.admits(&session("dev", "alice")));
    }

    #[test]
    fn users_match_exactly() {
        let list = allow(&[&format!("arn:aws:iam::{ACCOUNT}:user/alice")]);
        assert!(list.admits(&format!("arn:aws:iam::{ACCOUNT}:user/alice")));
        assert!(!list.admits(&format!("arn:aws:iam::{ACCOUNT}:user/alice2")));
        assert!(!list.admits(&format!("arn:aws:iam::{ACCOUNT}:user/ops/alice")));
        // A user named like a role is not the role's session.
        assert!(!list.admits(&session("alice", "x")));
    }

    #[test]
    fn an_empty_list_admits_any_iam_caller() {
        assert!(AdminPrincipals::default().admits(&session("anything", "x")));
    }

    #[test]
    fn entries_that_name_no_principal_are_refused() {
        for bad in [
            "",
            "ops",
            "arn:aws:iam::123:role/ops",
            &format!("arn:aws:s3:::{ACCOUNT}"),
            &format!("arn:aws:iam:us-east-1:{ACCOUNT}:role/ops"),
            &format!("arn:aws:iam::{ACCOUNT}:role/"),
            &format!("arn:aws:iam::{ACCOUNT}:group/admins"),
            &format!("arn:aws:sts::{ACCOUNT}:assumed-role/ops/a/b"),
            &format!("arn:aws:sts::{ACCOUNT}:assumed-role//alice"),
        ] {
            assert!(AdminPrincipal::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            AdminPrincipal::parse(&format!(" arn:aws:iam::{ACCOUNT}:root ")),
            Ok(AdminPrincipal::Exact(format!(
                "arn:aws:iam::{ACCOUNT}:root"
            )))
        );
    }

    /// The request parts API Gateway hands the function for an IAM-signed caller.
    fn iam_request(user_arn: Option<&str>, allowed: Option<AdminPrincipals>) -> Parts {
        let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(serde_json::json!({
            "accountId": ACCOUNT,
            "apiId": "a1b2c3d4e5",
            "requestId": "r1",
            "routeKey": "GET /v1/admin/payment-methods",
            "stage": "$default",
            "http": {"method": "GET", "path": "/v1/admin/payment-methods",
                     "protocol": "HTTP/1.1", "sourceIp": "203.0.113.10", "userAgent": "t"},
            "authorizer": {"iam": {
                "accessKey": "ASIAEXAMPLE", "accountId": ACCOUNT,
                "callerId": "AROAEXAMPLE:alice", "userArn": user_arn, "userId": "AROAEXAMPLE:alice"
            }}
        }))
        .expect("an API Gateway v2 request context");
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.extensions.insert(RequestContext::ApiGatewayV2(ctx));
        if let Some(allowed) = allowed {
            parts.extensions.insert(allowed);
        }
        parts
    }

    async fn admin(mut parts: Parts) -> Result<Admin, ApiError> {
        Admin::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn an_allowed_session_is_the_admin_named_by_its_arn() {
        let caller = session("ops", "alice");
        let list = allow(&[&format!("arn:aws:iam::{ACCOUNT}:role/ops")]);
        let who = admin(iam_request(Some(&caller), Some(list))).await;
        assert_eq!(who.map(|a| a.0).ok(), Some(caller));
    }

    #[tokio::test]
    async fn another_iam_caller_gets_403_in_the_error_envelope() {
        let list = allow(&[&format!("arn:aws:iam::{ACCOUNT}:role/ops")]);
        let err = admin(iam_request(
            Some(&session("dev", "bob")),
            Some(list.clone()),
        ))
        .await
        .expect_err("dev is not on the list");
        let resp = err.into_response();
        assert_eq!(resp.status(), axum::http::StatusCode::FORBIDDEN);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .expect("a small body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
        // Without an ARN nothing on a non-empty list can match.
        let err = admin(iam_request(None, Some(list)))
            .await
            .expect_err("no ARN");
        assert_eq!(err.status(), axum::http::StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn an_empty_list_admits_any_iam_caller_and_a_missing_one_admits_none() {
        let caller = session("anyone", "x");
        let who = admin(iam_request(Some(&caller), Some(AdminPrincipals::default()))).await;
        assert_eq!(who.map(|a| a.0).ok(), Some(caller.clone()));
        let who = admin(iam_request(None, Some(AdminPrincipals::default()))).await;
        assert_eq!(who.map(|a| a.0).ok().as_deref(), Some("AROAEXAMPLE:alice"));
        let err = admin(iam_request(Some(&caller), None))
            .await
            .expect_err("a router without the list refuses");
        assert_eq!(err.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
