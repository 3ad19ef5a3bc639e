//! Who is calling. On Lambda the user is a JWT claim that API Gateway's authorizer verified
//! (`requestContext.authorizer.jwt.claims.<claim>`) and an admin is an IAM-signed caller; the
//! body is never consulted. The `local` binary may attach a [`DevIdentity`] from its own
//! headers; Lambda builds never do, so those headers mean nothing there.

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

/// An operator: an IAM-authorized caller on Lambda (the route's authorizer is `AWS_IAM`),
/// or `X-Dev-Admin: 1` on the local server. Carries the caller for the audit log.
#[derive(Clone, Debug)]
pub struct Admin(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let iam = api_gateway_v2(parts)
            .and_then(|ctx| ctx.authorizer.as_ref())
            .and_then(|a| a.iam.as_ref())
            .and_then(|iam| iam.user_arn.clone().or_else(|| iam.caller_id.clone()));
        if let Some(caller) = iam {
            return Ok(Admin(caller));
        }
        match parts.extensions.get::<DevIdentity>() {
            Some(d) if d.admin => Ok(Admin("local-dev-admin".into())),
            _ => Err(ApiError::Forbidden(
                "admin routes need IAM authorization".into(),
            )),
        }
    }
}

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`), when known.
#[derive(Clone, Debug)]
pub struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(SourceIp(
            api_gateway_v2(parts).and_then(|ctx| ctx.http.source_ip.clone()),
        ))
    }
}
